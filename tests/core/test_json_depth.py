"""Deeply nested JSON on the API's write endpoints is a 400 with a stable code, not a 500
(issue 16, defect 3): DRF's JSONParser let json's RecursionError through."""

from __future__ import annotations

import logging

import pytest
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Message, Room
from core.jsondepth import json_depth_exceeds
from core.parsers import MAX_JSON_DEPTH
from portfolio.models import Portfolio, Transaction
from tests.accounts.factories import UserFactory
from tests.portfolio.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 3000 + "]" * 3000
ANONYMOUS = ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/auth/logout/"]
SIGNED_IN = [
    ("post", "/api/v1/portfolios/"),
    ("patch", "/api/v1/portfolios/{portfolio}/"),
    ("post", "/api/v1/portfolios/{portfolio}/transactions/"),
    ("post", "/api/v1/chat/rooms/"),
    ("post", "/api/v1/chat/rooms/{room}/messages/"),
    ("post", "/api/v1/chat/rooms/{room}/read/"),
    ("put", "/api/v1/media/avatar/"),
]


def _assert_refused(response, caplog) -> None:  # noqa: ANN001
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The JSON body is nested too deeply.",
        "code": "json_too_deep",
    }
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ANONYMOUS)
def test_anonymous_deep_json_is_400(path: str, caplog) -> None:  # noqa: ANN001
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with caplog.at_level(logging.WARNING):
        response = client.post(path, DEEP, content_type="application/json")
    _assert_refused(response, caplog)


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_signed_in_deep_json_is_400_and_writes_nothing(method: str, path: str, caplog) -> None:  # noqa: ANN001
    user = UserFactory()
    portfolio = PortfolioFactory(owner=user, name="Main")
    room = chat_services.room_create(creator=user, name="room")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(user)
    counts = (Portfolio.objects.count(), Transaction.objects.count(), Room.objects.count(),
              Message.objects.count())  # fmt: skip
    with caplog.at_level(logging.WARNING):
        response = getattr(client, method)(
            path.format(portfolio=portfolio.pk, room=room.pk), DEEP, content_type="application/json"
        )
    _assert_refused(response, caplog)
    portfolio.refresh_from_db()
    assert portfolio.name == "Main"
    assert counts == (Portfolio.objects.count(), Transaction.objects.count(),
                      Room.objects.count(), Message.objects.count())  # fmt: skip


def test_deep_json_is_refused_in_korean_by_default() -> None:
    response = APIClient(raise_request_exception=False).post(
        "/api/v1/auth/token/refresh/", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"
    assert response.json()["detail"] == "JSON 본문의 중첩이 너무 깊습니다."


def test_ordinary_json_still_parses_and_brackets_in_strings_do_not_count() -> None:
    assert not json_depth_exceeds('{"a": ["' + "[" * 5000 + '", {"b": [[1]]}]}', MAX_JSON_DEPTH)
    assert not json_depth_exceeds("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, MAX_JSON_DEPTH)
    deeper = MAX_JSON_DEPTH + 1
    assert json_depth_exceeds("[" * deeper + "]" * deeper, MAX_JSON_DEPTH)
    assert json_depth_exceeds('{"a": ' * 100 + "1" + "}" * 100, MAX_JSON_DEPTH)
    assert json_depth_exceeds("[" * 3000, MAX_JSON_DEPTH)  # unclosed: json.loads recurses too
    # an escaped backslash ends its string: the brackets after it nest for real
    assert json_depth_exceeds('["\\\\", ' + "[" * 100 + "]" * 100 + "]", MAX_JSON_DEPTH)
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").post(
        "/api/v1/auth/token/refresh/",
        '{"refresh": "not-a-token", "x": "[[[["}',
        content_type="application/json",
    )
    assert response.status_code in {400, 401}
    assert response.json().get("code") != "json_too_deep"
