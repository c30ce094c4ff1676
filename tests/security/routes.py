"""Every URL the site serves, each with how the security review tests it.

`test_every_route_is_classified` fails when a route is added without an entry here: a new route
with an id in its path must say how to name another user's object through it (or why it holds
none), so privacy cannot be forgotten for it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.conftest import MISSING_ID, SECRET, TwoUsers

Ids = Callable[[TwoUsers], dict[str, Any]]
Body = Callable[[TwoUsers], dict[str, Any]]
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Case:
    """One way bob names something of alice's through a route."""

    ids: Ids  # path arguments naming alice's object (as bob sends them)
    missing: Ids  # the same route naming nothing at all
    method: str  # the route's own method: what the owner would send
    body: Body | None = None  # a body the owner's request succeeds with
    multipart: bool = False
    # 404 (the default): bob cannot tell it from a missing object. 403 only where bob may see the
    # object by design (a message in a public room he is in) but it is not his to change.
    expected: int = 404
    why: str = ""
    # What the owner sends to reach the same object (when bob's ids are a wrong combination).
    owner_ids: Ids | None = None


@dataclass(frozen=True)
class Private:
    """A route naming a user's object: another user gets what a missing id gets."""

    cases: tuple[Case, ...]


@dataclass(frozen=True)
class Own:
    """No id in the path: the requester's own data only (bob's answer must hold none of alice's)."""

    query: str = ""


@dataclass(frozen=True)
class Staff:
    """Staff only: anonymous visitors are sent to sign in (pages) or get 401 (API); other users
    get 403; staff are served."""

    method: str = "get"
    ids: Callable[[], dict[str, Any]] = field(default=lambda: {})


@dataclass(frozen=True)
class Public:
    """Nobody's private data: shown to anyone, by design."""

    why: str


Access = Private | Own | Staff | Public

UUID_MISSING = "00000000-0000-4000-8000-000000000000"


def _portfolio(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": s.portfolio.pk}


def _no_portfolio(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": MISSING_ID}


def _transaction(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": s.portfolio.pk, "transaction_id": s.transaction.pk}


def _no_transaction(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": MISSING_ID, "transaction_id": MISSING_ID}


def _alice_transaction_under_bobs_portfolio(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": s.bob_portfolio.pk, "transaction_id": s.transaction.pk}


def _bobs_portfolio_no_transaction(s: TwoUsers) -> dict[str, Any]:
    return {"portfolio_id": s.bob_portfolio.pk, "transaction_id": MISSING_ID}


def _room(s: TwoUsers) -> dict[str, Any]:
    return {"room_id": s.private_room.pk}


def _no_room(s: TwoUsers) -> dict[str, Any]:
    return {"room_id": MISSING_ID}


def _csv(s: TwoUsers) -> dict[str, Any]:
    text = "date,type,stock,quantity,price,fee,note\n2024-03-04,buy,005930,1,70000,0,x\n"
    return {"file": SimpleUploadedFile("t.csv", text.encode(), content_type="text/csv")}


def _trade_json(s: TwoUsers) -> dict[str, Any]:
    return {"side": "buy", "stock": "005930", "quantity": "1", "price": "70000",
            "date": "2024-03-04", "note": "pwned"}  # fmt: skip


def _trade_form(s: TwoUsers) -> dict[str, Any]:
    return {"kind": "buy", "stock": "005930", "quantity": "1", "price": "70000", "fee": "0",
            "traded_on": "2024-03-04", "note": "pwned"}  # fmt: skip


def _job() -> dict[str, Any]:
    return {"name": "media.cleanup_unused"}


def _portfolio_cases(method: str, body: Body | None = None, multipart: bool = False) -> Private:
    return Private((Case(_portfolio, _no_portfolio, method, body, multipart),))


def _transaction_cases(method: str, body: Body | None = None) -> Private:
    return Private((
        Case(_transaction, _no_transaction, method, body),
        Case(_alice_transaction_under_bobs_portfolio, _bobs_portfolio_no_transaction, method,
             body, why="alice's transaction id under bob's own portfolio",
             owner_ids=_transaction),
    ))  # fmt: skip


def _room_cases(method: str, body: Body | None = None) -> Private:
    return Private((Case(_room, _no_room, method, body),))


ROUTES: dict[str, Access] = {
    # --- API -------------------------------------------------------------------------------------
    "api/v1/auth/token/": Public("sign-in; limits in tests/core/test_throttling.py"),
    "api/v1/auth/token/refresh/": Public("tokens: tests/accounts/test_api.py"),
    "api/v1/auth/logout/": Public("names a refresh token only its holder knows"),
    "api/v1/auth/logout-all/": Own(),
    "api/v1/auth/me/": Own(),
    "api/v1/pipelines/jobs/": Staff(),
    "api/v1/pipelines/jobs/<str:name>/run/": Staff("post", _job),
    "api/v1/pipelines/runs/": Staff(),
    "api/v1/stocks/": Public("market data"),
    "api/v1/stocks/recent/": Own(),
    "api/v1/stocks/<str:code>/": Public("market data"),
    "api/v1/stocks/<str:code>/prices/": Public("market data"),
    "api/v1/market/": Public("market data"),
    "api/v1/market/stats/": Public("market data"),
    "api/v1/news/": Public("crawled news"),
    "api/v1/news/<int:article_id>/": Public("crawled news"),
    "api/v1/portfolios/": Own(),
    "api/v1/portfolios/summary/": Own(),
    "api/v1/portfolios/<int:portfolio_id>/": _portfolio_cases("patch", lambda s: {"name": "x"}),
    "api/v1/portfolios/<int:portfolio_id>/transactions/": _portfolio_cases("post", _trade_json),
    "api/v1/portfolios/<int:portfolio_id>/transactions/export/": _portfolio_cases("get"),
    "api/v1/portfolios/<int:portfolio_id>/transactions/import/": _portfolio_cases(
        "post", _csv, multipart=True
    ),
    "api/v1/portfolios/<int:portfolio_id>/transactions/<int:transaction_id>/": (
        _transaction_cases("patch", lambda s: {"note": "pwned"})
    ),
    "api/v1/portfolios/<int:portfolio_id>/holdings/": _portfolio_cases("get"),
    "api/v1/portfolios/<int:portfolio_id>/summary/": _portfolio_cases("get"),
    "api/v1/portfolios/<int:portfolio_id>/gains/": _portfolio_cases("get"),
    "api/v1/portfolios/<int:portfolio_id>/history/": _portfolio_cases("get"),
    "api/v1/chat/rooms/": Own(),
    "api/v1/chat/rooms/<int:room_id>/join/": _room_cases("post"),
    "api/v1/chat/rooms/<int:room_id>/leave/": _room_cases("post"),
    "api/v1/chat/rooms/<int:room_id>/messages/": _room_cases("post", lambda s: {"content": "x"}),
    "api/v1/chat/rooms/<int:room_id>/messages/<int:message_id>/": Private(
        (
            Case(
                lambda s: {"room_id": s.private_room.pk, "message_id": s.private_message.pk},
                lambda s: {"room_id": MISSING_ID, "message_id": MISSING_ID},
                "patch",
                lambda s: {"content": "pwned"},
            ),
            Case(
                lambda s: {"room_id": s.public_room.pk, "message_id": s.private_message.pk},
                lambda s: {"room_id": s.public_room.pk, "message_id": MISSING_ID},
                "patch",
                lambda s: {"content": "pwned"},
                why="a private room's message under a room bob is in",
                owner_ids=lambda s: {
                    "room_id": s.private_room.pk,
                    "message_id": s.private_message.pk,
                },
            ),
            Case(
                lambda s: {"room_id": s.public_room.pk, "message_id": s.public_message.pk},
                lambda s: {"room_id": s.public_room.pk, "message_id": MISSING_ID},
                "patch",
                lambda s: {"content": "pwned"},
                expected=403,
                why="alice's message in a room bob is in: he sees it, cannot change it",
            ),
        )
    ),  # fmt: skip
    "api/v1/chat/rooms/<int:room_id>/read/": _room_cases(
        "post", lambda s: {"message_id": s.private_message.pk}
    ),
    "api/v1/chat/rooms/<int:room_id>/members/": _room_cases("get"),
    "api/v1/chat/search/": Own(f"?q={SECRET}"),
    "api/v1/search/popular/": Own(),
    "api/v1/media/images/": Own(),
    "api/v1/media/images/<uuid:image_id>/": Private(
        (Case(lambda s: {"image_id": s.image.pk}, lambda s: {"image_id": UUID_MISSING}, "get"),)
    ),
    "api/v1/media/avatar/": Own(),
    "api/schema/": Public("the API's description"),
    "api/docs/": Public("the API's description"),
    # --- pages -----------------------------------------------------------------------------------
    "healthz": Public("probe"),
    "readyz": Public("probe"),
    "i18n/setlang/": Public("sets the visitor's language"),
    "accounts/login/": Public("sign-in; limits in tests/accounts/test_views.py"),
    "accounts/logout/": Own(),
    "ops/pipelines/": Staff(),
    "ops/pipelines/jobs/<str:name>/run/": Staff("post", _job),
    "ops/pipelines/branches/<str:branch>/run/": Staff("post", lambda: {"branch": "cleanup"}),
    "news/": Public("crawled news"),
    "news/<int:article_id>/": Public("crawled news"),
    "news/demo-feeds/<str:file_name>": Public("the demo's feed files"),
    "portfolio/": Own(),
    "portfolio/new/": Own(),
    "portfolio/<int:portfolio_id>/": _portfolio_cases("get"),
    "portfolio/<int:portfolio_id>/rename/": _portfolio_cases("post", lambda s: {"name": "x"}),
    "portfolio/<int:portfolio_id>/delete/": _portfolio_cases("post"),
    "portfolio/<int:portfolio_id>/transactions/": _portfolio_cases("post", _trade_form),
    "portfolio/<int:portfolio_id>/transactions/<int:transaction_id>/delete/": (
        _transaction_cases("post")
    ),
    "portfolio/<int:portfolio_id>/import/": _portfolio_cases("post", _csv, multipart=True),
    "portfolio/<int:portfolio_id>/export.csv": _portfolio_cases("get"),
    "chat/": Own(),
    "chat/<int:room_id>/": _room_cases("get"),
    "media/": Own(),
    "media/avatar/": Own(),
    "media/i/<uuid:image_id>/<size:size>.webp": Public(
        "an avatar or a chat image is shown to others by design: its id is a random UUID known "
        "only to those it was shown to"
    ),
    "media-files/<path:path>": Public("stored variants, named by the hash of their content"),
    "": Own(),
    "stocks/": Public("market data"),
    "stocks/<str:code>/": Public("market data"),
}

# Whose answers depend on the websocket path: tests/security/test_sockets.py.
SOCKETS = {
    "^ws/chat/$": "private rooms: tests/security/test_sockets.py",
    "ws/pipelines/": "staff only: tests/security/test_staff_only.py",
    "ws/market/": "public market data",
    "^.*$": "anything else is closed (core.consumers.UnknownPathConsumer)",
}


def url_patterns() -> Iterator[str]:
    """Every served route as a string ("portfolio/<int:portfolio_id>/"), the admin's aside
    (tests/security/test_staff_only.py covers every model registered there)."""

    def walk(patterns: list, prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route != "admin/":
                    yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    yield from walk(get_resolver().url_patterns, "")


def path_of(route: str, ids: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(ids[match.group(1)]), route)


def is_api(route: str) -> bool:
    return route.startswith("api/")
