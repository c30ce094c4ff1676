"""Rate limits per minute in Redis (F7): 429 with Retry-After, per user or per IP."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from core.redis import state_redis
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"
TOKEN_URL = "/api/v1/auth/token/"


@override_settings(RATE_LIMIT_ANON_PER_MINUTE=3)
def test_anonymous_requests_are_limited_per_ip(api_client, fresh_rate_window):
    statuses = [api_client.get(ME_URL).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]


@override_settings(RATE_LIMIT_USER_PER_MINUTE=2)
def test_users_are_limited_separately(bearer_client, user, fresh_rate_window):
    from accounts.services import token_pair_issue
    from tests.accounts.factories import UserFactory

    other = APIClient()
    other_pair = token_pair_issue(user=UserFactory())
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_pair.access}")

    mine = [bearer_client.get(ME_URL).status_code for _ in range(3)]
    theirs = other.get(ME_URL)

    assert mine == [200, 200, 429]
    assert theirs.status_code == 200


@override_settings(RATE_LIMIT_ANON_PER_MINUTE=1)
def test_refusal_is_json_with_retry_after(api_client, fresh_rate_window):
    api_client.get(ME_URL)

    response = api_client.get(ME_URL)

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "detail" in response.json()


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=2)
def test_token_endpoint_is_stricter_and_counts_per_username(user, fresh_rate_window):
    # different client IPs, same username: the username limit still applies
    for ip in ("10.0.0.1", "10.0.0.2"):
        APIClient(REMOTE_ADDR=ip).post(TOKEN_URL, {"username": user.username, "password": "x"})

    response = APIClient(REMOTE_ADDR="10.0.0.3").post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD}
    )

    assert response.status_code == 429
    assert "Retry-After" in response


def test_windows_expire_by_themselves(api_client, fresh_rate_window):
    api_client.get(ME_URL)

    keys = list(state_redis().scan_iter("ratelimit:*"))
    assert keys
    assert all(0 < state_redis().ttl(key) <= 61 for key in keys)
