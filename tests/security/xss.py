"""The payload of the XSS review and a user who puts it in every text field they control."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chat import services as chat_services
from chat.models import Message, Room
from media.models import Image
from news.models import Article
from portfolio import services as portfolio_services
from portfolio.models import Portfolio
from stocks.models import Stock
from tests.accounts.factories import UserFactory
from tests.news.factories import ArticleFactory
from tests.portfolio.helpers import record
from tests.security.conftest import ready_image
from tests.stocks.factories import StockFactory

PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2;alert(1)">'
RAW = ("<script>window.__xss", "<img src=x onerror")
ESCAPED = "&lt;script&gt;window.__xss=1"


def assert_not_raw(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: unescaped {raw!r}"


@dataclass
class Hostile:
    """Mallory filled every field she controls with the payload; alice shares a room with her."""

    mallory: Any
    alice: Any
    stock: Stock
    portfolio: Portfolio
    room: Room
    message: Message
    image: Image
    article: Article


def hostile_data() -> Hostile:
    mallory = UserFactory(username="mallory")
    # Sign-up would refuse this name (UnicodeUsernameValidator); the admin, an import or a future
    # sign-in provider might not, and the pages must not depend on that.
    mallory.username = f"m{PAYLOAD}"[:150]
    mallory.first_name = PAYLOAD[:150]
    mallory.save()
    alice = UserFactory(username="alice")
    stock = StockFactory(code="005930", name_en="Samsung Electronics")
    portfolio = portfolio_services.portfolio_create(owner=mallory, name=PAYLOAD[:100])
    record(portfolio, "buy", stock, "1", "70000", date(2024, 1, 2), note=PAYLOAD)
    room = chat_services.room_create(creator=mallory, name=PAYLOAD[:100])
    chat_services.room_join(room=room, user=alice)
    message = chat_services.message_send(room=room, sender=mallory, content=f"{PAYLOAD} 삼성")
    image = ready_image(mallory, f"{PAYLOAD}.png")
    article = ArticleFactory(title=PAYLOAD, summary=PAYLOAD, stocks=[stock])
    chat_services.search_term_record(query=PAYLOAD, user_id=mallory.pk)
    return Hostile(mallory, alice, stock, portfolio, room, message, image, article)
