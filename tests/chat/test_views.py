"""The /chat/ page: signed-in only, the user's rooms with unread badges, public rooms to join,
a private room invisible to outsiders, names escaped."""

from __future__ import annotations

import pytest

from chat import services
from chat.models import RoomKind
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/chat/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_rooms_with_unread_badges_and_public_rooms_to_join(client):
    alice, bob = UserFactory(), UserFactory()
    mine = services.room_create(creator=alice, name="<b>반도체</b>")
    services.room_join(room=mine, user=bob)
    services.message_send(room=mine, sender=bob, content="새 글")
    services.room_create(creator=bob, name="코스닥 토론")
    client.force_login(alice)

    body = client.get("/chat/").content.decode()

    assert "&lt;b&gt;반도체&lt;/b&gt;" in body and "<b>반도체</b>" not in body
    assert 'data-testid="unread">1<' in body
    assert "코스닥 토론" in body  # a public room alice may join
    assert f'data-room-id="{mine.pk}"' in body


def test_a_private_room_is_a_404_for_outsiders_and_a_public_one_offers_joining(client):
    alice = UserFactory()
    secret = services.room_create(creator=alice, name="secret", kind=RoomKind.PRIVATE)
    public = services.room_create(creator=alice, name="open")
    client.force_login(UserFactory())

    hidden = client.get(f"/chat/{secret.pk}/")
    assert hidden.status_code == 404 and "secret" not in hidden.content.decode()
    shown = client.get(f"/chat/{public.pk}/").content.decode()
    assert 'data-testid="join"' in shown and 'data-is-member="false"' in shown
