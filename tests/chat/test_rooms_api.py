"""The rooms API (H2, H10): the user's rooms with unread counts and last messages, create, join,
leave."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat import services
from chat.models import Membership, RoomKind
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.stocks.factories import StockFactory

ROOMS = "/api/v1/chat/rooms/"


@pytest.mark.django_db
def test_rooms_list_unread_counts_and_last_messages_newest_first():
    alice, bob = UserFactory(), UserFactory()
    quiet = services.room_create(creator=alice, name="quiet")
    busy = services.room_create(creator=bob, name="busy")
    services.room_join(room=busy, user=alice)
    services.message_send(room=quiet, sender=alice, content="mine")  # one's own: not unread
    first = services.message_send(room=busy, sender=bob, content="one")
    services.message_send(room=busy, sender=bob, content="two")
    services.messages_mark_read(room=busy, user=alice, message_id=first.pk)

    rooms = api_client_for(alice).get(ROOMS).json()

    assert [(r["name"], r["unread"], r["last_message"]["content"]) for r in rooms] == [
        ("busy", 1, "two"),
        ("quiet", 0, "mine"),
    ]


@pytest.mark.django_db(transaction=True)  # the cache stores only outside a pending transaction
def test_the_room_list_is_constant_queries_then_cached_until_a_message_in_ones_rooms(
    django_assert_num_queries,
):
    alice, bob = UserFactory(), UserFactory()
    rooms = [services.room_create(creator=alice, name=f"room {n}") for n in range(6)]
    elsewhere = services.room_create(creator=bob, name="not alice's")
    for room in rooms:
        services.message_send(room=room, sender=alice, content="hello")
    client = api_client_for(alice)
    with django_assert_num_queries(3):  # her room ids, the rooms with counts, last messages
        assert len(client.get(ROOMS).json()) == 6
    with django_assert_num_queries(0):
        client.get(ROOMS)
    services.message_send(room=elsewhere, sender=bob, content="chatter elsewhere")
    with django_assert_num_queries(0):  # a room she is not in leaves her list cached
        client.get(ROOMS)
    services.message_send(room=rooms[0], sender=alice, content="new")
    assert client.get(ROOMS).json()[0]["last_message"]["content"] == "new"


@pytest.mark.django_db
def test_create_join_and_leave():
    alice, bob = UserFactory(), UserFactory()
    StockFactory(code="005930")
    created = api_client_for(alice).post(ROOMS, {"name": "삼성전자", "stock": "005930"})
    assert created.status_code == 201
    room_id = created.json()["id"]
    assert (created.json()["role"], created.json()["stock"]) == ("owner", "005930")

    joined = api_client_for(bob).post(f"{ROOMS}{room_id}/join/")
    assert (joined.status_code, joined.json()["role"]) == (200, "member")
    assert api_client_for(bob).post(f"{ROOMS}{room_id}/leave/").status_code == 204
    assert not Membership.objects.filter(room_id=room_id, user=bob).exists()
    assert api_client_for(bob).post(f"{ROOMS}{room_id}/leave/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"name": "x", "kind": "party"}, "kind"),
     ({"name": "x", "stock": "999999"}, "stock")],
)  # fmt: skip
def test_bad_rooms_are_400s_naming_the_field(body, field):
    response = api_client_for(UserFactory()).post(ROOMS, body)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_private_rooms_are_404s_to_outsiders_like_missing_ones():
    alice = UserFactory()
    room = services.room_create(creator=alice, name="secret", kind=RoomKind.PRIVATE)
    outsider = api_client_for(UserFactory())
    for path in (f"{ROOMS}{room.pk}/join/", f"{ROOMS}{room.pk}/leave/", f"{ROOMS}999999/join/"):
        response = outsider.post(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "There is no room with this id that you may read."
    assert APIClient().get(ROOMS).status_code == 401
