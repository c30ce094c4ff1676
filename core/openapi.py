"""The OpenAPI schema documents the errors every API operation can answer, not only its success.

Error bodies come from core.api.exception_handler (and the rate-limit middleware):
`{"detail": ..., "code": ...}` for 401, 403, 404 and 429; for a 400 the fields that were refused,
`{field: [messages], "code": "invalid"}`. Which codes an operation can answer follows from the
view: an explicit `extend_schema(responses=...)` entry always wins.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

# Every code the API answers today, for the schema's readers; docs/api.md lists what each means.
ERROR_CODES = (
    "not_authenticated", "authentication_failed", "invalid_credentials", "token_not_valid",
    "token_expired", "token_revoked", "token_reused", "permission_denied", "not_found",
    "method_not_allowed", "not_acceptable", "unsupported_media_type", "rate_limited",
    "parse_error", "json_too_deep", "bad_request", "payload_too_large", "service_unavailable",
    "server_error",
)  # fmt: skip
# An enum, so that the API fuzz (tests/fuzz) fails on an answered code the schema does not name.
CODE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(ERROR_CODES),
    "description": "Stable machine-readable reason, the same in every language.",
}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": CODE_SCHEMA},
    "required": ["detail", "code"],
}
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "`code` `invalid`: the other keys are the refused fields, each with its "
    "messages (`non_field_errors`, or a `detail` string, for the request as a whole). Any other "
    "`code` (`parse_error`, `json_too_deep`): the body was not read, `detail` says why.",
    "properties": {
        "code": {"type": "string", "enum": ["invalid", "parse_error", "json_too_deep"]},
        "detail": {"type": "string"},
    },
    "required": ["code"],
    "additionalProperties": {},
}


def error_response(description: str) -> OpenApiResponse:
    """For `extend_schema(responses=...)`: an error a view raises itself, e.g. a 404 for a query
    parameter that names something the caller cannot see."""
    return OpenApiResponse(response=ERROR_SCHEMA, description=description)


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Permissions every signed-in caller passes: other classes (IsAdminUser) can refuse with a 403.
_PERMISSIONS_WITHOUT_403 = (AllowAny, IsAuthenticated)


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, (description, schema) in self._error_responses().items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                },
            )
        return responses

    def _error_responses(self) -> dict[str, tuple[str, dict[str, Any]]]:
        errors: dict[str, tuple[str, dict[str, Any]]] = {}
        has_path_parameters = "{" in self.path
        has_body = bool(self._get_request_body())
        if has_body or self._get_parameters():
            errors["400"] = ("Invalid input", VALIDATION_ERROR_SCHEMA)
        # Every view authenticates a presented Bearer token, so a bad one is a 401 even where
        # no sign-in is needed; the credential endpoints answer 401 for bad credentials.
        errors["401"] = ("Missing or invalid credentials", ERROR_SCHEMA)
        if self._can_refuse_permission():
            errors["403"] = ("Not allowed", ERROR_SCHEMA)
        if has_path_parameters or self._is_paginated_list():
            errors["404"] = ("Not found (or a page past the last one)", ERROR_SCHEMA)
        if has_body:
            errors["415"] = ("Unsupported Content-Type for the body", ERROR_SCHEMA)
        # accounts.middleware.ApiRateLimitMiddleware limits every API request.
        errors["429"] = ("Rate limit reached; see Retry-After", ERROR_SCHEMA)
        return errors

    def _can_refuse_permission(self) -> bool:
        permissions = self.view.get_permissions()
        if any(not isinstance(p, _PERMISSIONS_WITHOUT_403) for p in permissions):
            return True
        # A session-authenticated write without its CSRF token is refused with a 403.
        return self.method in UNSAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in self.view.get_authenticators()
        )

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
