"""The fuzz tests' world: a normal user and a staff member, each with their own token, and real
objects (a stock, a portfolio with a transaction, a chat room with a message, a ready image) for
the path parameters to hit."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from PIL import Image as PillowImage

from accounts import services as account_services
from chat import services as chat_services
from media import services as media_services
from pipelines.registry import JOBS
from portfolio import services as portfolio_services
from portfolio.services import TransactionInput
from tests.accounts.factories import UserFactory
from tests.conftest import PASSWORD
from tests.news.factories import ArticleFactory
from tests.stocks.factories import PriceBarFactory, StockFactory

# Far above anything the fuzz sends in a minute: a 429 would hide what the request would have
# found. The 429 itself is checked against the schema by its own test.
RAISED_LIMITS = {
    "RATE_LIMIT_ANON_PER_MINUTE": 1_000_000,
    "RATE_LIMIT_USER_PER_MINUTE": 1_000_000,
    "RATE_LIMIT_LOGIN_PER_MINUTE": 1_000_000,
    "CHAT_MESSAGES_PER_MINUTE": 1_000_000,
    "MEDIA_UPLOADS_PER_MINUTE": 1_000_000,
}


@dataclass
class Identity:
    """One caller of the API and the objects that are theirs."""

    name: str
    headers: dict[str, str]
    path_values: dict[str, object]
    # Body fields worth aiming at real values (an existing stock, one's own image, one's
    # credentials), and files the application can take, by the path that takes them.
    body_values: dict[str, object]
    files: dict[str, bytes]
    user: object


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def _identity(name: str, *, is_staff: bool, stock, article, general_room) -> Identity:  # noqa: ANN001
    person = UserFactory(username=f"fuzz-{name}", is_staff=is_staff, password=PASSWORD)
    access = account_services.token_pair_issue(user=person).access
    portfolio = portfolio_services.portfolio_create(owner=person, name=f"{name} portfolio")
    record = portfolio_services.transaction_record(
        portfolio=portfolio,
        data=TransactionInput(
            "buy", stock, Decimal(10), Decimal(50000), Decimal(0), date(2024, 3, 4), "fuzz"
        ),
    )
    chat_services.room_join(room=general_room, user=person)
    message = chat_services.message_send(room=general_room, sender=person, content=f"hi {name}")
    source = _png()
    png = source.getvalue()
    image, _created = media_services.image_upload(
        owner=person, source=source, size_bytes=len(source.getvalue()), name="fuzz.png"
    )
    media_services.blob_process(blob_id=image.blob_id)
    return Identity(
        name=name,
        headers={"Authorization": f"Bearer {access}", "Accept-Language": "en"},
        path_values={
            "code": stock.code,
            "portfolio_id": portfolio.pk,
            "transaction_id": record.pk,
            "room_id": general_room.pk,
            "message_id": message.pk,
            "image_id": str(image.pk),
            "name": next(iter(sorted(JOBS))),
            "article_id": article.pk,
        },
        body_values={
            "stock": stock.code,
            "message_id": message.pk,
            "reply_to": message.pk,
            "image": str(image.pk),
            "username": person.username,
            "password": PASSWORD,
        },
        files={
            "/api/v1/media/images/": png,
            "/api/v1/portfolios/{portfolio_id}/transactions/import/": (
                f"date,type,stock,quantity,price,fee,note\n2024-05-06,buy,{stock.code},3,51000,0,\n"
            ).encode(),
        },
        user=person,
    )


@pytest.fixture
def fuzz_world(db, settings, tmp_path) -> Iterator[dict[str, Identity]]:  # noqa: ANN001
    for name, value in RAISED_LIMITS.items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media-files/"
    stock = StockFactory(code="005930", name_en="Samsung Electronics", name_ko="삼성전자")
    for _ in range(5):
        PriceBarFactory(stock=stock)
    article = ArticleFactory(stocks=[stock])
    founder = UserFactory(username="fuzz-founder")
    general_room = chat_services.room_create(creator=founder, name="General")
    world = {
        name: _identity(
            name, is_staff=name == "staff", stock=stock, article=article, general_room=general_room
        )
        for name in ("user", "staff")
    }
    # The application runs in this thread, inside the test's transaction, as Django's own test
    # client runs it: the request signals must not close that transaction's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield world
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def use_existing(generated: object, existing: object) -> object:
    """Most examples aim at an object that exists (the interesting code runs past the look-up);
    the rest keep the generated value, so missing and malformed ids are fuzzed too. Chosen from
    the generated value itself, so Hypothesis replays and shrinks it the same way."""
    return existing if random.Random(repr(generated)).random() < 0.75 else generated
