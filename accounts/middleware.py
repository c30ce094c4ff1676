"""Per-minute rate limit of every API request, per user when known, otherwise per client IP (F7).

It runs before DRF so that requests failing authentication (a guessed token, an anonymous call to
a private endpoint) are counted as well; DRF's own throttles only run after authentication.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.tokens import AccessTokenInvalid, access_token_decode
from core.api import error_json
from core.throttling import client_address, rate_limit_hit

API_PREFIX = "/api/"


def _rate_identity(request: HttpRequest) -> tuple[str, int]:
    """Who to count this request against, and that identity's limit per minute."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            claims = access_token_decode(token=token.strip())
        except AccessTokenInvalid:
            pass  # counted against the IP, like any other anonymous caller
        else:
            return f"user:{claims.user_id}", settings.RATE_LIMIT_USER_PER_MINUTE
    elif request.user.is_authenticated:  # session; the user is loaded once and reused by DRF
        return f"user:{request.user.pk}", settings.RATE_LIMIT_USER_PER_MINUTE
    return f"ip:{client_address(request)}", settings.RATE_LIMIT_ANON_PER_MINUTE


class ApiRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            identity, limit = _rate_identity(request)
            decision = rate_limit_hit(scope="api", identity=identity, limit_per_minute=limit)
            if not decision.is_allowed:
                response = error_json(
                    _("Request was throttled. Try again in %(seconds)d seconds.")
                    % {"seconds": decision.retry_after_seconds},
                    "rate_limited",
                    status=429,
                )
                response["Retry-After"] = str(decision.retry_after_seconds)
                return response
        return self.get_response(request)
