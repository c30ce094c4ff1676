"""Rate limits in fixed one-minute windows counted in Redis (F7).

One INCR per request per limit: every ASGI process shares the count, and a window's key expires on
its own. While Redis is down the limiter fails open with a warning, so an outage of the limiter
never becomes an outage of the site.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.redis import RedisError, state_redis

if TYPE_CHECKING:
    from django.http import (
        HttpRequest,  # importing DRF's views here would be circular: DRF loads this at import
    )
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger("insightstock.redis")

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateLimitDecision:
    is_allowed: bool
    retry_after_seconds: int


def client_address(request: HttpRequest) -> str:
    """Whom to count a request against: the client's IPv4 address, or its IPv6 /64.

    An IPv6 client is usually given a whole /64, so counting single addresses would let it rotate
    past any limit. DRF's get_ident honours NUM_PROXIES behind a load balancer.
    """
    ident = BaseThrottle().get_ident(request)
    try:
        address = ipaddress.ip_address(ident)
    except ValueError:
        return ident
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ident


def rate_limit_hit(*, scope: str, identity: str, limit_per_minute: int) -> RateLimitDecision:
    """Count one request for ``identity`` in ``scope`` and say whether it is within the limit."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    window_end = (window + 1) * WINDOW_SECONDS
    key = f"ratelimit:{scope}:{identity}:{window}"
    try:
        pipe = state_redis().pipeline(transaction=True)
        pipe.incr(key)
        pipe.expireat(key, window_end + 1)
        count, _ = pipe.execute()
    except RedisError as exc:
        logger.warning("rate limiter failing open", exc_info=exc)
        return RateLimitDecision(is_allowed=True, retry_after_seconds=0)
    return RateLimitDecision(
        is_allowed=count <= limit_per_minute,
        retry_after_seconds=max(1, math.ceil(window_end - now)),
    )


class _RedisWindowThrottle(BaseThrottle):
    """Shared plumbing: DRF turns a refusal into 429 with ``Retry-After: wait()``."""

    _retry_after_seconds: int = 0

    def _refuse_if_over(self, *, scope: str, identity: str, limit_per_minute: int) -> bool:
        decision = rate_limit_hit(scope=scope, identity=identity, limit_per_minute=limit_per_minute)
        if not decision.is_allowed:
            self._retry_after_seconds = decision.retry_after_seconds
        return decision.is_allowed

    def wait(self) -> float | None:
        return self._retry_after_seconds or None


class UserWriteThrottle(_RedisWindowThrottle):
    """POSTs of one signed-in user, counted in the Redis window ``scope``, at most the setting
    ``limit_setting`` per minute. Subclasses name both; other methods are not counted."""

    scope: str
    limit_setting: str

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method != "POST" or not request.user.is_authenticated:
            return True
        return self._refuse_if_over(
            scope=self.scope,
            identity=str(request.user.pk),
            limit_per_minute=getattr(settings, self.limit_setting),
        )


class LoginRateThrottle(_RedisWindowThrottle):
    """Credential endpoints: stricter, per client IP and per username tried."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        decision = login_attempt_hit(ip=client_address(request), username=_username_from(request))
        if not decision.is_allowed:
            self._retry_after_seconds = decision.retry_after_seconds
        return decision.is_allowed


def _username_from(request: Request) -> str:
    # A body that does not parse raises here, and DRF answers 400 before any credential check.
    username = request.data.get("username", "") if hasattr(request.data, "get") else ""
    return username if isinstance(username, str) else ""


def login_attempt_hit(*, ip: str, username: str) -> RateLimitDecision:
    """Count a sign-in attempt against the client IP and the username tried; both must be in limit.

    Used by the API token endpoint and the login page alike.
    """
    identities = [f"ip:{ip}"]
    if username:
        # Count the username the way authentication will read it (NFKC), case-insensitively, so
        # look-alike spellings of one account share one bucket.
        normalized = unicodedata.normalize("NFKC", username).strip().casefold()[:150]
        identities.append(f"user:{normalized}")
    for identity in identities:
        decision = rate_limit_hit(
            scope="login",
            identity=identity,
            limit_per_minute=settings.RATE_LIMIT_LOGIN_PER_MINUTE,
        )
        if not decision.is_allowed:
            return decision
    return RateLimitDecision(is_allowed=True, retry_after_seconds=0)
