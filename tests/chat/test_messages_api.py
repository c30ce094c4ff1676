"""The messages API (H9, H10, H11, H14): history by cursor with reply, read and unread counts in
a constant number of queries, send / edit / soft-delete one's own, read up to a message, members;
every write reaching the room's sockets."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from chat import services
from chat.models import Membership, Message, ReadReceipt, RoomKind
from tests.accounts.factories import UserFactory
from tests.chat.sockets import access_token, event_within, next_event, open_socket
from tests.clients import api_client_for


def messages_url(room) -> str:  # noqa: ANN001
    return f"/api/v1/chat/rooms/{room.pk}/messages/"


@pytest.fixture
def room_of_three(db):  # noqa: ANN001, ARG001
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="반도체 토론")
    services.room_join(room=room, user=bob)
    services.room_join(room=room, user=carol)
    return room, alice, bob, carol


def send(room, user, text, reply_to=None):  # noqa: ANN001, ANN201
    return services.message_send(room=room, sender=user, content=text, reply_to_id=reply_to)


@pytest.mark.django_db
def test_history_pages_newest_first_by_cursor_both_ways(room_of_three):
    room, alice, bob, _ = room_of_three
    sent = [send(room, alice if n % 2 else bob, f"message {n}").pk for n in range(7)]
    client = api_client_for(alice)

    first = client.get(messages_url(room), {"limit": 3}).json()
    assert [m["id"] for m in first["results"]] == sent[:-4:-1]
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    assert [m["id"] for m in second["results"]] == sent[-4:-7:-1]
    last = client.get(second["next"]).json()
    assert [m["id"] for m in last["results"]] == [sent[0]]
    assert last["next"] is None
    back = client.get(last["previous"]).json()  # newer than the oldest: the three just after it
    assert [m["id"] for m in back["results"]] == sent[3:0:-1]
    assert back["previous"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params", [{"cursor": "!!"}, {"cursor": "eDEy"}, {"limit": 0}, {"limit": 101}, {"limit": "x"}]
)
def test_bad_cursor_or_limit_is_a_400_naming_it(room_of_three, params):
    room, alice, *_ = room_of_three
    response = api_client_for(alice).get(messages_url(room), params)
    assert response.status_code == 400
    assert set(response.json()) & {"cursor", "limit"}


@pytest.mark.django_db
def test_reply_read_and_unread_counts_per_message(room_of_three):
    room, alice, bob, carol = room_of_three
    question = send(room, alice, "HBM 실적 어떻게 보세요?")
    send(room, bob, "좋아 보입니다", reply_to=question.pk)
    gone = send(room, carol, "지운 답", reply_to=question.pk)
    services.message_delete(message=gone, deleter=carol)
    services.messages_mark_read(room=room, user=bob, message_id=question.pk)

    rows = {m["id"]: m for m in api_client_for(alice).get(messages_url(room)).json()["results"]}

    assert rows[question.pk]["reply_count"] == 1  # the deleted reply does not count
    assert (rows[question.pk]["read_count"], rows[question.pk]["unread_count"]) == (1, 1)
    assert rows[gone.pk]["is_deleted"] and rows[gone.pk]["content"] == ""


@pytest.mark.django_db(transaction=True)
def test_a_page_costs_the_same_queries_whatever_its_size_and_is_cached(django_assert_num_queries):
    alice, bob = UserFactory(), UserFactory()
    small, large = (services.room_create(creator=alice, name=name) for name in ("s", "l"))
    for room, count in ((small, 3), (large, 60)):
        services.room_join(room=room, user=bob)
        for n in range(count):
            message = send(room, bob if n % 3 else alice, f"m{n}", reply_to=None)
        services.messages_mark_read(room=room, user=alice, message_id=message.pk)
    client = api_client_for(alice)

    def queries_for(room) -> int:  # noqa: ANN001
        with CaptureQueriesContext(connection) as captured:
            assert client.get(messages_url(room), {"limit": 50}).status_code == 200
        return len(captured)

    cold_small, cold_large = queries_for(small), queries_for(large)
    assert cold_small == cold_large
    warm = queries_for(large)
    assert warm < cold_large  # the page itself came from the cache; only live counts are read
    send(large, bob, "new")  # a new message drops the room's cached pages
    rows = client.get(messages_url(large)).json()["results"]
    assert rows[0]["content"] == "new"


@pytest.mark.django_db
def test_send_edit_and_soft_delete_own_messages_only(room_of_three):
    room, alice, bob, _ = room_of_three
    as_alice, as_bob = api_client_for(alice), api_client_for(bob)

    created = as_alice.post(messages_url(room), {"content": "삼성전자 <b>급등</b>"}, format="json")
    assert created.status_code == 201
    message_id = created.json()["id"]
    reply = as_bob.post(messages_url(room), {"content": "정말요?", "reply_to": message_id},
                        format="json")  # fmt: skip
    assert reply.json()["reply_to"] == message_id
    detail = f"{messages_url(room)}{message_id}/"

    hijack = as_bob.patch(detail, {"content": "hijacked"}, format="json")
    assert hijack.status_code == 403
    assert hijack.json() == {
        "detail": "You can edit only your own messages.",
        "code": "permission_denied",
    }
    assert as_bob.delete(detail).status_code == 403
    edited = as_alice.patch(detail, {"content": "삼성전자 상승"}, format="json")
    assert edited.status_code == 200 and edited.json()["edited_at"]
    assert as_alice.delete(detail).status_code == 204

    stored = Message.objects.get(pk=message_id)
    assert stored.deleted_at is not None and stored.content == "" and stored.search_document is None
    assert as_alice.patch(detail, {"content": "back"}, format="json").status_code == 400
    history = as_bob.get(messages_url(room)).json()["results"]
    assert [m["id"] for m in history][-1] == message_id  # its place in the history stays
    bobs = reply.json()["id"]
    services.room_leave(room=room, user=bob)  # a former member's messages stay as they are
    gone = as_bob.patch(f"{messages_url(room)}{bobs}/", {"content": "x"}, format="json")
    assert gone.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [({"content": "   "}, "content"), ({"content": "x" * 2001}, "content"),
     ({"content": "a\x00b"}, "content"), ({}, "content"), ({"content": "hi", "reply_to": 10**9},
                                                           "reply_to")],
)  # fmt: skip
def test_bad_messages_are_refused_with_the_field_and_nothing_stored(room_of_three, body, field):
    room, alice, *_ = room_of_three
    response = api_client_for(alice).post(messages_url(room), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_reply_to_a_message_of_another_room_is_refused(room_of_three):
    room, alice, *_ = room_of_three
    elsewhere = services.room_create(creator=alice, name="other")
    foreign = send(elsewhere, alice, "there")
    body = {"content": "x", "reply_to": foreign.pk}
    response = api_client_for(alice).post(messages_url(room), body, format="json")
    assert response.status_code == 400 and "reply_to" in response.json()


@pytest.mark.django_db
def test_private_rooms_are_invisible_to_outsiders_and_public_ones_read_only(room_of_three):
    room, alice, *_ = room_of_three
    secret = services.room_create(creator=alice, name="secret", kind=RoomKind.PRIVATE)
    message = send(secret, alice, "hidden")
    outsider = api_client_for(UserFactory())

    for path in (messages_url(secret), f"/api/v1/chat/rooms/{secret.pk}/members/"):
        assert outsider.get(path).status_code == 404
    assert outsider.post(messages_url(secret), {"content": "x"}, format="json").status_code == 404
    read = outsider.post(f"/api/v1/chat/rooms/{secret.pk}/read/", {"message_id": message.pk},
                         format="json")  # fmt: skip
    assert read.status_code == 404
    edit = outsider.patch(f"{messages_url(secret)}{message.pk}/", {"content": "x"}, format="json")
    assert edit.status_code == 404
    # A public room's history may be read before joining; writing needs joining.
    assert outsider.get(messages_url(room)).status_code == 200
    refused = outsider.post(messages_url(room), {"content": "x"}, format="json")
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Join the room first.", "code": "permission_denied"},
    )


@pytest.mark.django_db
def test_read_up_to_a_message_writes_receipts_for_others_messages_only(room_of_three):
    room, alice, bob, _ = room_of_three
    mine = send(room, bob, "my own")
    theirs = [send(room, alice, f"t{n}") for n in range(3)]
    as_bob = api_client_for(bob)
    read_url = f"/api/v1/chat/rooms/{room.pk}/read/"

    response = as_bob.post(read_url, {"message_id": theirs[1].pk}, format="json")
    assert response.json() == {"newly_read": 2, "last_read_message_id": theirs[1].pk}
    again = as_bob.post(read_url, {"message_id": theirs[0].pk}, format="json")  # never backwards
    assert again.json() == {"newly_read": 0, "last_read_message_id": theirs[1].pk}
    assert set(ReadReceipt.objects.values_list("message_id", flat=True)) == {
        theirs[0].pk, theirs[1].pk,
    }  # fmt: skip
    assert mine.pk not in ReadReceipt.objects.values_list("message_id", flat=True)
    rooms = {r["id"]: r for r in as_bob.get("/api/v1/chat/rooms/").json()}
    assert rooms[room.pk]["unread"] == 1
    bad = as_bob.post(read_url, {"message_id": 10**9}, format="json")
    assert bad.status_code == 400 and "message_id" in bad.json()


@pytest.mark.django_db
def test_a_newcomer_has_no_unread_backlog_and_no_receipts_are_written(room_of_three):
    room, alice, *_ = room_of_three
    for n in range(5):
        send(room, alice, f"before {n}")
    dave = UserFactory()
    assert api_client_for(dave).post(f"/api/v1/chat/rooms/{room.pk}/join/").status_code == 200

    rooms = {r["id"]: r for r in api_client_for(dave).get("/api/v1/chat/rooms/").json()}
    assert rooms[room.pk]["unread"] == 0
    assert not ReadReceipt.objects.filter(user=dave).exists()
    later = send(room, alice, "after")
    rooms = {r["id"]: r for r in api_client_for(dave).get("/api/v1/chat/rooms/").json()}
    assert rooms[room.pk]["unread"] == 1
    counts = {m["id"]: m for m in api_client_for(alice).get(messages_url(room)).json()["results"]}
    assert counts[later.pk]["unread_count"] == 3  # bob, carol and dave


@pytest.mark.django_db
def test_members_list_owners_first_with_roles(room_of_three):
    room, alice, bob, carol = room_of_three
    body = api_client_for(bob).get(f"/api/v1/chat/rooms/{room.pk}/members/").json()
    assert body["count"] == 3
    assert [(m["id"], m["role"]) for m in body["results"]] == [
        (alice.pk, "owner"), (bob.pk, "member"), (carol.pk, "member"),
    ]  # fmt: skip
    assert not any(m["is_online"] for m in body["results"])


@pytest.mark.django_db
def test_sending_is_rate_limited_per_user_like_the_socket(room_of_three, settings):
    settings.CHAT_MESSAGES_PER_MINUTE = 2
    room, alice, *_ = room_of_three
    client = api_client_for(alice)
    codes = [client.post(messages_url(room), {"content": f"m{n}"}, format="json").status_code
             for n in range(3)]  # fmt: skip
    assert codes == [201, 201, 429]
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_api_writes_reach_the_rooms_sockets():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="live")
    await sync_to_async(services.room_join)(room=room, user=bob)
    socket = await open_socket(bob)
    await next_event(socket, "welcome")
    as_alice = api_client_for(alice)

    created = await sync_to_async(as_alice.post)(messages_url(room), {"content": "안녕 bob"},
                                                 format="json")  # fmt: skip
    arrived = await next_event(socket, "new_message")
    assert arrived["message"]["id"] == created.json()["id"]
    assert arrived["message"]["content"] == "안녕 bob"
    detail = f"{messages_url(room)}{created.json()['id']}/"
    await sync_to_async(as_alice.patch)(detail, {"content": "edited"}, format="json")
    assert (await next_event(socket, "message_edited"))["message"]["content"] == "edited"
    await sync_to_async(as_alice.delete)(detail)
    assert (await next_event(socket, "message_deleted"))["message"]["is_deleted"] is True
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_joining_through_the_api_makes_open_sockets_follow_the_room():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="later")
    socket = await open_socket(bob)
    await next_event(socket, "welcome")

    joined = await sync_to_async(api_client_for(bob).post)(f"/api/v1/chat/rooms/{room.pk}/join/")
    assert joined.status_code == 200
    assert await sync_to_async(Membership.objects.filter(room=room, user=bob).exists)()
    # The follow travels through the channel layer; a message sent after it must arrive.
    for attempt in range(20):
        await sync_to_async(send)(room, alice, f"hello {attempt}")
        if await event_within(socket, "new_message", seconds=0.5) is not None:
            break
    else:
        raise AssertionError("the socket never followed the room it joined through the API")
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_room_created_through_the_api_is_followed_by_the_creators_open_sockets():
    """The app creates a room with its token while a tab (and the app's own socket) are open:
    both follow the room and hear its messages, as after a join."""
    alice = await sync_to_async(UserFactory)()
    tab, phone = await open_socket(alice), await open_socket(alice)
    for socket in (tab, phone):
        assert (await next_event(socket, "welcome"))["rooms"] == []
    app = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {await sync_to_async(access_token)(alice)}")

    created = await sync_to_async(app.post)("/api/v1/chat/rooms/", {"name": "새 방"},
                                            format="json")  # fmt: skip
    assert created.status_code == 201
    room_id = created.json()["id"]
    for socket in (tab, phone):
        followed = await next_event(socket, "joined_room")
        assert followed == {"type": "joined_room", "room_id": room_id, "name": "새 방"}
    sent = await sync_to_async(app.post)(f"/api/v1/chat/rooms/{room_id}/messages/",
                                         {"content": "첫 메시지"}, format="json")  # fmt: skip
    assert sent.status_code == 201
    for socket in (tab, phone):
        assert (await next_event(socket, "new_message"))["message"]["content"] == "첫 메시지"
        await socket.disconnect()


@pytest.mark.django_db
def test_a_deleted_senders_messages_still_count_who_has_not_read_them(room_of_three):
    room, alice, bob, carol = room_of_three
    message = send(room, bob, "bye")
    bob.delete()  # the message stays, with no sender
    rows = api_client_for(alice).get(messages_url(room)).json()["results"]
    counted = next(m for m in rows if m["id"] == message.pk)
    assert counted["sender"] is None
    assert (counted["read_count"], counted["unread_count"]) == (0, 2)  # alice and carol
