"""F3: with Redis stopped, pages and the API keep answering from the database, with a warning."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import token_pair_issue

pytestmark = pytest.mark.django_db(transaction=True)


def test_site_keeps_serving_after_redis_stops(client, user, disposable_redis, caplog):
    client.force_login(user)
    pair = token_pair_issue(user=user)  # refresh token stored in the disposable Redis
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access}", HTTP_ACCEPT_LANGUAGE="en")
    cache.set("probe", "cached")
    assert cache.get("probe") == "cached"
    assert api.get("/api/v1/auth/me/").status_code == 200

    disposable_redis.stop()
    caplog.set_level(logging.WARNING, logger="insightstock.redis")

    # pages, from the database-backed session
    for _ in range(3):
        page = client.get("/")
        assert page.status_code == 200
        assert user.username in page.content.decode()
    # the API, authenticated by its signed access token; the rate limiter fails open
    for _ in range(3):
        assert api.get("/api/v1/auth/me/").status_code == 200
    # the cache degrades to misses instead of raising
    assert cache.get("probe") is None
    cache.set("probe", "x")
    # what needs Redis by nature says so with a clear 503, never a 500
    refresh = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/refresh/", {"refresh": pair.refresh}
    )
    assert refresh.status_code == 503
    assert refresh.json()["detail"].startswith("Sign-in service temporarily unavailable")

    warnings = [r for r in caplog.records if r.name == "insightstock.redis"]
    assert warnings, "an outage must be visible in the log"
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in warnings)
    # one line per kind of failure per minute, not one per request
    assert len(warnings) <= 3
