"""API-wide error shaping: every error is JSON with a stable machine-readable `code`.

`{"detail": "<message>", "code": "<code>"}` for a refusal as a whole; a 400 naming fields keeps
the field errors clients read (`{field: [messages]}`) and adds `"code": "invalid"` beside them (no
input field of the API is named `code`, tests/core/test_openapi.py holds that). Messages follow
Accept-Language; codes never change with it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.http import NotFoundWithReason

# DRF's codes are kept, except where the issue names the code apps switch on.
_RENAMED_CODES = {"throttled": "rate_limited"}
VALIDATION_CODE = "invalid"


class BadRequest(APIException):
    """What Django refuses before any view (a suspicious request: handler400)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("The request could not be understood.")
    default_code = "bad_request"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Request body is too large.")
    default_code = "payload_too_large"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Service temporarily unavailable, try again shortly.")
    default_code = "service_unavailable"


def error_body(detail: str, code: str) -> dict[str, str]:
    """The body of every API error that names no field, DRF's or not (middleware, handlers)."""
    return {"detail": str(detail), "code": code}


def error_json(detail: str, code: str, *, status: int) -> JsonResponse:
    return JsonResponse(error_body(detail, code), status=status)


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, DjangoValidationError):
        # A service's refusal ({field: [messages]}) is a 400 naming its fields, as a
        # serializer's would be; one as a whole names no field, as a serializer's validate().
        if hasattr(exc, "error_dict"):
            return ValidationError(exc.message_dict)
        return ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})
    if isinstance(exc, Http404):
        # Django's own 404 messages are English and name models ("No Portfolio matches ...");
        # only a NotFoundWithReason carries a message written (and translated) for the caller.
        return exceptions.NotFound(str(exc) if isinstance(exc, NotFoundWithReason) else None)
    if isinstance(exc, DjangoPermissionDenied):
        # Services refuse with a message written for the caller ("Join the room to write in it.").
        return exceptions.PermissionDenied(*exc.args)
    return exc


def _code_of(exc: APIException) -> str:
    code = exc.get_codes() if not isinstance(exc.detail, (list, dict)) else exc.default_code
    code = code if isinstance(code, str) else exc.default_code
    return _RENAMED_CODES.get(code, code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, APIException):
        return response
    if isinstance(exc, ValidationError):
        data = response.data
        if not isinstance(data, dict):  # ValidationError(["..."]) names no field
            data = {api_settings.NON_FIELD_ERRORS_KEY: data}
        response.data = {**data, "code": VALIDATION_CODE}
    else:
        data = response.data  # an APIException raised with a list of messages has no `detail`
        detail = data.get("detail", "") if isinstance(data, dict) else " ".join(map(str, data))
        response.data = error_body(detail, _code_of(exc))
    return response
