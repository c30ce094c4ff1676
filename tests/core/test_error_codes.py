"""Issue 17 item 8: every API error carries a stable `code` beside its message, and the message
follows Accept-Language (Korean by default) while the code does not."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.test import RequestFactory, override_settings
from django.utils import translation
from rest_framework.test import APIClient

from accounts import services as account_services
from core.db import database_unavailable_response
from core.views import server_error
from portfolio import services as portfolio_services
from tests.accounts.factories import UserFactory
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HANGUL = re.compile("[가-힣]")


def _client(language: str | None, user: Any = None) -> APIClient:
    client = APIClient(**({"HTTP_ACCEPT_LANGUAGE": language} if language else {}))
    if user is not None:
        access = account_services.token_pair_issue(user=user).access
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _messages(body: dict) -> list[str]:
    """The human text of an error body: its `detail`, or every field's messages."""
    if "detail" in body:
        return [body["detail"]]
    return [m for key, value in body.items() if key != "code" for m in value]


Request = Callable[[APIClient], Any]


def _case(status: int, code: str, request: Request, *, signed_in: bool = False) -> Any:
    return pytest.param(status, code, request, signed_in, id=f"{status}-{code}")


CASES = [
    _case(401, "not_authenticated", lambda c: c.get("/api/v1/auth/me/")),
    _case(
        401,
        "token_not_valid",
        lambda c: c.get("/api/v1/auth/me/", HTTP_AUTHORIZATION="Bearer not.a.token"),
    ),
    _case(
        401,
        "invalid_credentials",
        lambda c: c.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}),
    ),
    _case(
        401,
        "token_not_valid",
        lambda c: c.post("/api/v1/auth/token/refresh/", {"refresh": "unknown"}),
    ),
    _case(403, "permission_denied", lambda c: c.get("/api/v1/pipelines/jobs/"), signed_in=True),
    _case(404, "not_found", lambda c: c.get("/api/v1/portfolios/999999/"), signed_in=True),
    _case(404, "not_found", lambda c: c.get("/api/v1/stocks/999999/")),
    _case(404, "not_found", lambda c: c.get("/api/v1/no-such-thing/")),
    _case(405, "method_not_allowed", lambda c: c.delete("/api/v1/auth/me/"), signed_in=True),
    _case(
        415,
        "unsupported_media_type",
        lambda c: c.post("/api/v1/portfolios/", "name", content_type="text/plain"),
        signed_in=True,
    ),
    _case(400, "invalid", lambda c: c.post("/api/v1/portfolios/", {}), signed_in=True),
    _case(
        400,
        "parse_error",
        lambda c: c.post("/api/v1/auth/token/", "{", content_type="application/json"),
    ),
]


@pytest.mark.parametrize(("status", "code", "request_", "signed_in"), CASES)
def test_each_error_has_its_code_and_a_korean_message_by_default(
    status: int, code: str, request_: Request, signed_in: bool
) -> None:
    user = UserFactory() if signed_in else None

    korean = request_(_client(None, user))
    english = request_(_client("en", user))

    for response in (korean, english):
        assert response.status_code == status, response.content[:300]
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == code
    assert all(HANGUL.search(m) for m in _messages(korean.json())), korean.json()
    assert _messages(korean.json()) != _messages(english.json())


@override_settings(RATE_LIMIT_ANON_PER_MINUTE=0)
def test_the_api_rate_limit_is_rate_limited_in_korean(fresh_rate_window: None) -> None:
    response = _client(None).get("/api/v1/stocks/")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert HANGUL.search(response.json()["detail"])


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=0)
def test_the_sign_in_limit_is_rate_limited_too(user: Any, fresh_rate_window: None) -> None:
    """DRF's own throttle (code `throttled`) answers with the code the middleware's limit uses."""
    body = {"username": user.username, "password": PASSWORD}
    response = _client(None).post("/api/v1/auth/token/", body)

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert HANGUL.search(response.json()["detail"])


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_over_djangos_limit_is_payload_too_large() -> None:
    body = json.dumps({"username": "nobody", "password": "x" * 4000})

    response = _client(None).post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert HANGUL.search(response.json()["detail"])


def test_a_reused_refresh_token_is_token_reused(user: Any) -> None:
    refresh = account_services.token_pair_issue(user=user).refresh
    client = _client(None)
    assert client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 200

    response = client.post("/api/v1/auth/token/refresh/", {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["code"] == "token_reused"


def test_an_expired_access_token_is_token_expired(user: Any) -> None:
    """Apps refresh on this code and sign in again on the others."""
    with override_settings(ACCESS_TOKEN_TTL_SECONDS=-60):
        client = _client(None, user)

    response = client.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert HANGUL.search(response.json()["detail"])


def test_a_token_of_a_logged_out_everywhere_user_is_token_revoked(user: Any) -> None:
    client = _client(None, user)
    assert client.post("/api/v1/auth/logout-all/").status_code == 200

    response = client.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_a_service_refusal_names_its_fields_beside_the_code(user: Any) -> None:
    """A duplicate name is refused by the service (a Django ValidationError), not the serializer."""
    portfolio_services.portfolio_create(owner=user, name="Main")

    response = _client("en", user).post("/api/v1/portfolios/", {"name": "Main"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body) == {"name", "code"}


def _raw_request(port: int, head: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize(("language", "expect_korean"), [("", True), ("en-US,en;q=0.9", False)])
def test_the_asgi_body_limit_answers_with_a_code_in_the_callers_language(
    asgi_server: Any, language: str, expect_korean: bool
) -> None:
    """core.bodylimit refuses before Django (no request, no LocaleMiddleware) and still speaks the
    caller's language."""
    server = asgi_server()
    language_header = f"Accept-Language: {language}\r\n" if language else ""
    head = (f"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n{language_header}"
            f"Content-Type: application/json\r\nContent-Length: {10**10}\r\n\r\n")  # fmt: skip

    answer = _raw_request(server.port, head)

    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["code"] == "payload_too_large"
    assert bool(HANGUL.search(body["detail"])) is expect_korean


def test_the_database_outage_answer_of_the_api_is_service_unavailable() -> None:
    """core.db's 503 is built outside DRF (a middleware, or the 500 handler)."""
    request = RequestFactory().get("/api/v1/stocks/")

    with translation.override("ko"):
        response = database_unavailable_response(request)

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["code"] == "service_unavailable"
    assert HANGUL.search(body["detail"])


def test_a_server_error_of_the_api_is_server_error() -> None:
    request = RequestFactory().get("/api/v1/stocks/")

    with translation.override("ko"):
        response = server_error(request)

    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["code"] == "server_error"
    assert HANGUL.search(body["detail"])
