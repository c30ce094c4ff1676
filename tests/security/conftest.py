"""Shared by the security review: two users whose data must never cross, and the payload every
user-supplied text field is filled with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services as chat_services
from chat.models import Membership, Message, ReadReceipt, Room, RoomKind
from media import services as media_services
from media.models import Avatar, Image
from portfolio import services as portfolio_services
from portfolio.models import Holding, Portfolio, RealisedGain, Transaction
from stocks.models import Stock
from tests.accounts.factories import UserFactory
from tests.media import corpus
from tests.portfolio.helpers import record
from tests.stocks.factories import StockFactory

# Every private text of alice's contains it: a response to bob that contains it leaked.
SECRET = "alicezebra"
MISSING_ID = 10**9


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:  # noqa: ANN001
    """Uploaded files go to the test's own folder, served by the site (no CDN)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media-files/"
    return settings.MEDIA_ROOT


def ready_image(owner: Any, name: str, sample_index: int = 0) -> Image:  # noqa: ANN401
    """An image of ``owner``'s, uploaded and processed as the image branch would."""
    sample = corpus.good_samples()[sample_index]
    file = SimpleUploadedFile(name, sample.data, content_type=sample.content_type)
    image, _created = media_services.image_upload(
        owner=owner, source=file, size_bytes=len(sample.data), name=name
    )
    media_services.blob_process(blob_id=image.blob_id)
    return Image.objects.select_related("blob").get(pk=image.pk)


@dataclass
class TwoUsers:
    """Alice owns private things; bob, the one asking, owns his own of each kind."""

    alice: Any
    bob: Any
    stock: Stock
    portfolio: Portfolio
    transaction: Transaction
    private_room: Room
    private_message: Message
    public_room: Room  # alice's, bob is a member
    public_message: Message  # alice's, in the public room: bob reads it, may not change it
    image: Image
    bob_portfolio: Portfolio
    bob_transaction: Transaction
    bob_room: Room
    bob_message: Message
    bob_image: Image

    def rows_of_alice(self) -> dict[str, list[dict[str, Any]]]:
        """Everything of alice's a request of bob's could change (her rooms' memberships and
        receipts included: bob joining or reading there is a change too)."""
        rooms = [self.private_room.pk, self.public_room.pk]
        return {
            "portfolios": list(Portfolio.objects.filter(owner=self.alice).order_by("pk").values()),
            "transactions": list(
                Transaction.objects.filter(portfolio__owner=self.alice).order_by("pk").values()
            ),
            "holdings": list(
                Holding.objects.filter(portfolio__owner=self.alice).order_by("pk").values()
            ),
            "gains": list(
                RealisedGain.objects.filter(portfolio__owner=self.alice).order_by("pk").values()
            ),
            "rooms": list(Room.objects.filter(pk__in=rooms).order_by("pk").values()),
            "memberships": list(
                Membership.objects.filter(room_id=self.private_room.pk).order_by("pk").values()
            ),
            "messages": list(Message.objects.filter(room_id__in=rooms).order_by("pk").values()),
            "receipts": list(
                ReadReceipt.objects.filter(message__room_id=self.private_room.pk).values()
            ),
            "images": list(Image.objects.filter(owner=self.alice).order_by("pk").values()),
            "avatars": list(Avatar.objects.order_by("pk").values()),
        }


@pytest.fixture
def two_users(db) -> TwoUsers:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    stock = StockFactory(code="005930", name_en="Samsung Electronics")
    portfolio = portfolio_services.portfolio_create(owner=alice, name=f"{SECRET} portfolio")
    transaction = record(portfolio, "buy", stock, "5", "70000", date(2024, 1, 2),
                         note=f"{SECRET} note")  # fmt: skip
    record(portfolio, "sell", stock, "1", "80000", date(2024, 2, 2))
    private_room = chat_services.room_create(creator=alice, name=f"{SECRET} room",
                                             kind=RoomKind.PRIVATE)  # fmt: skip
    private_message = chat_services.message_send(room=private_room, sender=alice,
                                                 content=f"{SECRET} message")  # fmt: skip
    public_room = chat_services.room_create(creator=alice, name="open talk")
    chat_services.room_join(room=public_room, user=bob)
    public_message = chat_services.message_send(room=public_room, sender=alice,
                                                content="hello everyone")  # fmt: skip
    image = ready_image(alice, f"{SECRET}.png")
    media_services.avatar_set(user=alice, image=image)
    bob_portfolio = portfolio_services.portfolio_create(owner=bob, name="bob portfolio")
    bob_transaction = record(bob_portfolio, "buy", stock, "2", "70000", date(2024, 1, 3))
    bob_room = chat_services.room_create(creator=bob, name="bob room", kind=RoomKind.PRIVATE)
    bob_message = chat_services.message_send(room=bob_room, sender=bob, content="bob says")
    bob_image = ready_image(bob, "bob.png", sample_index=1)
    return TwoUsers(
        alice=alice, bob=bob, stock=stock, portfolio=portfolio, transaction=transaction,
        private_room=private_room, private_message=private_message, public_room=public_room,
        public_message=public_message, image=image, bob_portfolio=bob_portfolio,
        bob_transaction=bob_transaction, bob_room=bob_room, bob_message=bob_message,
        bob_image=bob_image,
    )  # fmt: skip
