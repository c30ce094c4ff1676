"""The token flow of the API (F7): obtain, rotate, reuse detection, logout, logout everywhere."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connections
from django.test import override_settings
from rest_framework.test import APIClient

from accounts import services
from accounts.tokens import access_token_encode
from core.redis import state_redis
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
LOGOUT_ALL_URL = "/api/v1/auth/logout-all/"
ME_URL = "/api/v1/auth/me/"


def _auth_keys() -> list[str]:
    return list(state_redis().scan_iter("auth:*"))


def _client_with(access: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_obtain_returns_a_pair_that_authenticates(api_client, user):
    response = api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = _client_with(body["access"]).get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == user.username


def test_refresh_token_is_kept_in_redis_for_seven_days(api_client, user):
    api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})

    token_keys = list(state_redis().scan_iter("auth:rt:*"))
    assert len(token_keys) == 1
    assert 7 * 24 * 3600 - 5 < state_redis().ttl(token_keys[0]) <= 7 * 24 * 3600


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "nobody", "password": PASSWORD},
        {"username": "USER", "password": "wrong password"},
    ],
)
def test_wrong_credentials_are_refused_with_401_and_nothing_stored(api_client, user, payload):
    if payload["username"] == "USER":
        payload = {**payload, "username": user.username}

    response = api_client.post(TOKEN_URL, payload)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _auth_keys() == []


def test_inactive_user_cannot_obtain_tokens(api_client, user):
    user.is_active = False
    user.save()

    response = api_client.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 401


def test_missing_fields_are_field_errors(api_client, db):
    response = api_client.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password", "code"}
    assert _auth_keys() == []


def test_malformed_json_is_a_400_json_error(api_client, db):
    response = api_client.post(TOKEN_URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_oversized_body_is_a_413_json_error(api_client, user):
    body = json.dumps({"username": user.username, "password": "x" * 4000})

    response = api_client.post(TOKEN_URL, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "Request body is too large.", "code": "payload_too_large"}
    assert _auth_keys() == []


def test_refresh_rotates_and_the_old_token_is_spent(api_client, token_pair):
    first = api_client.post(REFRESH_URL, {"refresh": token_pair.refresh})

    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh"] != token_pair.refresh
    assert _client_with(rotated["access"]).get(ME_URL).status_code == 200
    # the rotated refresh works in turn
    assert api_client.post(REFRESH_URL, {"refresh": rotated["refresh"]}).status_code == 200


def test_spent_refresh_token_revokes_family(api_client, token_pair):
    rotated = api_client.post(REFRESH_URL, {"refresh": token_pair.refresh}).json()

    replay = api_client.post(REFRESH_URL, {"refresh": token_pair.refresh})

    assert replay.status_code == 401
    assert replay.json()["detail"].startswith("Refresh token was already used")
    # the legitimate holder's newer token dies with its family
    after = api_client.post(REFRESH_URL, {"refresh": rotated["refresh"]})
    assert after.status_code == 401
    # and the spent token stays refused
    assert api_client.post(REFRESH_URL, {"refresh": token_pair.refresh}).status_code == 401


def test_spent_refresh_revokes_only_its_own_family(api_client, user):
    phone = services.token_pair_issue(user=user)
    laptop = services.token_pair_issue(user=user)
    api_client.post(REFRESH_URL, {"refresh": phone.refresh})
    api_client.post(REFRESH_URL, {"refresh": phone.refresh})  # replay: phone family revoked

    assert api_client.post(REFRESH_URL, {"refresh": laptop.refresh}).status_code == 200


def test_concurrent_refreshes_of_one_token_succeed_at_most_once(token_pair):
    statuses: list[int] = []

    def refresh() -> None:
        try:
            response = APIClient().post(REFRESH_URL, {"refresh": token_pair.refresh})
            statuses.append(response.status_code)
        finally:
            # the test client keeps connections open; give this thread's back to the pool
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses.count(200) == 1
    assert statuses.count(401) == 5


@pytest.mark.parametrize("refresh", ["garbage", "A" * 16 + "." + "B" * 43, "x" * 200])
def test_unknown_or_tampered_refresh_tokens_are_401(api_client, db, refresh):
    response = api_client.post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["detail"] == "Refresh token is invalid or expired."


@pytest.mark.parametrize("payload", [{}, {"refresh": ""}, {"refresh": "x" * 201}])
def test_missing_or_oversized_refresh_field_is_400(api_client, db, payload):
    response = api_client.post(REFRESH_URL, payload, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_tampered_refresh_secret_in_a_live_family_is_refused(api_client, token_pair):
    family, secret = token_pair.refresh.split(".")
    forged = f"{family}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"

    assert api_client.post(REFRESH_URL, {"refresh": forged}).status_code == 401
    # the real token is unaffected
    assert api_client.post(REFRESH_URL, {"refresh": token_pair.refresh}).status_code == 200


def test_tampered_access_token_is_refused(token_pair):
    header, payload, signature = token_pair.access.split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"

    response = _client_with(forged).get(ME_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Access token is invalid."


def test_expired_access_token_is_refused(user):
    with override_settings(ACCESS_TOKEN_TTL_SECONDS=-1):
        expired = access_token_encode(user_id=user.pk, token_generation=user.token_generation)

    response = _client_with(expired).get(ME_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Access token has expired."


def test_refresh_token_is_not_accepted_as_access_token(token_pair):
    response = _client_with(token_pair.refresh).get(ME_URL)

    assert response.status_code == 401


def test_unauthenticated_api_call_is_401_with_bearer_challenge(api_client, db):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_logout_revokes_that_session_only(api_client, user):
    phone = services.token_pair_issue(user=user)
    laptop = services.token_pair_issue(user=user)

    response = api_client.post(LOGOUT_URL, {"refresh": phone.refresh})

    assert response.status_code == 204
    assert api_client.post(REFRESH_URL, {"refresh": phone.refresh}).status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": laptop.refresh}).status_code == 200


def test_logout_with_unknown_token_is_401(api_client, db):
    response = api_client.post(LOGOUT_URL, {"refresh": "A" * 16 + "." + "B" * 43})

    assert response.status_code == 401


def test_logout_all_revokes_every_session_and_access_token(user):
    phone = services.token_pair_issue(user=user)
    laptop = services.token_pair_issue(user=user)
    client = _client_with(phone.access)

    response = client.post(LOGOUT_ALL_URL)

    assert response.status_code == 200
    assert response.json() == {"revoked_sessions": 2}
    anonymous = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert anonymous.post(REFRESH_URL, {"refresh": phone.refresh}).status_code == 401
    assert anonymous.post(REFRESH_URL, {"refresh": laptop.refresh}).status_code == 401
    # access tokens issued before are void at once, not after their 15 minutes
    assert _client_with(laptop.access).get(ME_URL).status_code == 401
    # and a new sign-in works
    fresh = anonymous.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})
    assert _client_with(fresh.json()["access"]).get(ME_URL).status_code == 200


def test_logout_all_needs_authentication(api_client, db):
    assert api_client.post(LOGOUT_ALL_URL).status_code == 401


def test_refresh_of_a_deactivated_user_is_refused(api_client, user, token_pair):
    user.is_active = False
    user.save()

    assert api_client.post(REFRESH_URL, {"refresh": token_pair.refresh}).status_code == 401


def test_session_authenticated_api_call_works_for_pages(client, user):
    client.force_login(user)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_password_change_ends_every_api_session(api_client, user, token_pair):
    user.set_password("a brand new passphrase")
    user.save()

    assert _client_with(token_pair.access).get(ME_URL).status_code == 401
    assert api_client.post(REFRESH_URL, {"refresh": token_pair.refresh}).status_code == 401


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=1)
def test_refresh_is_not_under_the_strict_sign_in_limit(api_client, token_pair, fresh_rate_window):
    first = api_client.post(REFRESH_URL, {"refresh": token_pair.refresh})
    second = api_client.post(REFRESH_URL, {"refresh": first.json()["refresh"]})

    assert second.status_code == 200


def test_session_api_writes_need_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    generation = user.token_generation

    response = client.post(LOGOUT_ALL_URL)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    user.refresh_from_db()
    assert user.token_generation == generation  # nothing was revoked
