"""Pages and probes that belong to no domain: home, health, error pages."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import APIException, NotFound, PermissionDenied

from core.api import BadRequest, error_json
from core.db import database_unavailable, database_unavailable_response
from core.health import readiness_report
from core.http import NotFoundWithReason


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no service, so a slow database cannot fail it."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, Redis and broker each reported; 503 only when the database is down
    (Redis or the broker down is a 200 "degraded")."""
    report = readiness_report()
    return JsonResponse(
        {"status": report["status"], "checks": report["checks"]},
        status=200 if report["ready"] else 503,
    )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(
    request: HttpRequest, *, status: int, api_error: APIException, template: str, reason: str = ""
) -> HttpResponse:
    """Pages render the template; the API answers DRF's body (translated detail and its code),
    as if a view had raised ``api_error``."""
    if _is_api(request):
        return error_json(reason or str(api_error.detail), api_error.default_code, status=status)
    return render(request, template, {"reason": reason}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, status=400, api_error=BadRequest(), template="400.html")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, status=403, api_error=PermissionDenied(), template="403.html")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = str(exception) if isinstance(exception, NotFoundWithReason) else ""
    return _error(request, status=404, api_error=NotFound(), template="404.html", reason=reason)


def server_error(request: HttpRequest) -> HttpResponse:
    # A database outage met in a middleware (the session's user, the API rate limit's) arrives
    # here, still being handled; views' are answered by core.middleware already.
    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    # Rendered without the request: context processors may fail the way the view just did.
    if _is_api(request):
        return error_json(str(APIException.default_detail), "server_error", status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())
