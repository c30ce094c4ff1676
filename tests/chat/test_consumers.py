"""`/ws/chat/` (H1-H7) with Channels' communicator on the real Redis channel layer."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from chat import presence, services
from chat.consumers import MAX_FRAME_CHARS, MAX_FRAME_DEPTH
from chat.models import Membership, Message, ReadReceipt, RoomKind
from config.asgi import application
from tests.accounts.factories import UserFactory
from tests.chat.sockets import HEADERS, access_token, close_event, next_event, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_no_or_a_bad_token_closes_with_1008(token):
    communicator = WebsocketCommunicator(
        application, "/ws/chat/" + (f"?token={token}" if token else ""), headers=HEADERS
    )
    connected, _ = await communicator.connect()
    assert connected  # accepted, then closed with a code the client can read
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1008, "reason": "Authentication required"}
    await communicator.disconnect()


async def test_welcome_then_messages_reach_every_member_in_the_room():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    a, b = await open_socket(alice), await open_socket(bob)
    assert (await next_event(a, "welcome"))["user_id"] == alice.pk

    await b.send_json_to({"type": "join_room", "room_id": room.pk})
    assert (await next_event(b, "joined_room"))["room_id"] == room.pk
    assert (await next_event(a, "user_joined"))["user"]["id"] == bob.pk

    await a.send_json_to({"type": "send_message", "room_id": room.pk, "content": "삼성전자 상승"})
    for communicator in (a, b):
        event = await next_event(communicator, "new_message")
        assert event["message"]["content"] == "삼성전자 상승"
        assert event["message"]["sender"]["id"] == alice.pk
    assert await sync_to_async(Message.objects.filter(room=room).count)() == 1

    await b.send_json_to({"type": "leave_room", "room_id": room.pk})
    assert (await next_event(b, "left_room"))["room_id"] == room.pk
    assert (await next_event(a, "user_left"))["user"]["id"] == bob.pk
    await a.disconnect()
    await b.disconnect()


async def test_private_rooms_cannot_be_joined_and_non_members_cannot_write():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="secret",
                                                     kind=RoomKind.PRIVATE)  # fmt: skip
    b = await open_socket(bob)
    # An outsider cannot tell a private room from a missing one: no probing of ids.
    for frame in ({"type": "join_room", "room_id": room.pk},
                  {"type": "send_message", "room_id": room.pk, "content": "hi"},
                  {"type": "join_room", "room_id": 10**9}):  # fmt: skip
        await b.send_json_to(frame)
        assert (await next_event(b, "error"))["message"] == "There is no room with this id."
    public = await sync_to_async(services.room_create)(creator=alice, name="open")
    await b.send_json_to({"type": "send_message", "room_id": public.pk, "content": "hi"})
    assert "Join the room" in (await next_event(b, "error"))["message"]
    assert not await sync_to_async(Message.objects.exists)()
    await b.disconnect()


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '{"no": "type"}', '{"type": "dance"}',
     '{"type": "send_message", "room_id": "1", "content": "x"}',
     '{"type": "send_message", "room_id": 999999, "content": "x"}',
     '{"type": "join_room", "room_id": true}'],
)  # fmt: skip
async def test_a_malformed_frame_gets_an_error_and_the_socket_stays(frame):
    user = await sync_to_async(UserFactory)()
    communicator = await open_socket(user)
    await communicator.send_to(text_data=frame)
    assert (await next_event(communicator, "error"))["message"]
    await communicator.send_json_to({"type": "ping"})
    assert (await next_event(communicator, "pong"))["type"] == "pong"
    await communicator.disconnect()


async def test_a_deeply_nested_frame_gets_an_error_and_the_socket_stays():
    """2,000 nested brackets, far under 16 KB: json.loads would raise RecursionError out of the
    consumer, ending the socket without a close frame or its clean-up (shown online for 90 s)."""
    user = await sync_to_async(UserFactory)()
    communicator = await open_socket(user)
    await next_event(communicator, "welcome")
    deep = "[" * 2000 + "]" * 2000
    assert len(deep) < MAX_FRAME_CHARS

    refusal = f"A frame may nest at most {MAX_FRAME_DEPTH} levels."
    for frame in (deep, f'{{"type": "ping", "extra": {deep}}}'):
        await communicator.send_to(text_data=frame)
        refused = await next_event(communicator, "error")
        assert refused == {"type": "error", "code": "frame_too_deep", "message": refusal}
    # As deep as allowed, brackets inside strings not counted: an ordinary frame.
    allowed = "[" * (MAX_FRAME_DEPTH - 1) + "]" * (MAX_FRAME_DEPTH - 1)
    await communicator.send_to(text_data=f'{{"type": "ping", "extra": {allowed}, "s": "{deep}"}}')
    assert (await next_event(communicator, "pong"))["type"] == "pong"
    assert await sync_to_async(presence.connection_count)(user.pk) == 1
    await communicator.disconnect()
    assert await sync_to_async(presence.connection_count)(user.pk) == 0


async def test_empty_and_too_long_messages_are_refused(settings):
    settings.CHAT_MESSAGE_MAX_CHARS = 10
    alice = await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    a = await open_socket(alice)
    for content in ["   ", "x" * 11]:
        await a.send_json_to({"type": "send_message", "room_id": room.pk, "content": content})
        assert (await next_event(a, "error"))["message"]
    assert not await sync_to_async(Message.objects.exists)()
    await a.disconnect()


async def test_sending_is_rate_limited_per_user(settings):
    settings.CHAT_MESSAGES_PER_MINUTE = 3
    alice = await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    a = await open_socket(alice)
    for n in range(4):
        await a.send_json_to({"type": "send_message", "room_id": room.pk, "content": f"m{n}"})
    assert "Too many messages" in (await next_event(a, "error"))["message"]
    assert await sync_to_async(Message.objects.count)() == 3
    await a.disconnect()


async def test_a_sixth_connection_closes_the_oldest_with_1008(settings):
    user = await sync_to_async(UserFactory)()
    sockets = [await open_socket(user) for _ in range(5)]
    for communicator in sockets:
        await next_event(communicator, "welcome")
    sixth = await open_socket(user)
    closed = await close_event(sockets[0])
    assert (closed["code"], closed["reason"]) == (1008, "Too many connections")
    assert await sync_to_async(presence.connection_count)(user.pk) == 5
    await sockets[0].disconnect()
    for communicator in [*sockets[1:], sixth]:
        await communicator.send_json_to({"type": "ping"})
        assert (await next_event(communicator, "pong"))["type"] == "pong"
        await communicator.disconnect()
    assert await sync_to_async(presence.connection_count)(user.pk) == 0


async def test_a_silent_connection_is_pinged_then_closed(settings):
    settings.CHAT_PING_SECONDS = 0.2
    settings.CHAT_IDLE_SECONDS = 0.6
    user = await sync_to_async(UserFactory)()
    communicator = await open_socket(user)
    assert (await next_event(communicator, "ping"))["type"] == "ping"
    output = await close_event(communicator)
    assert output["code"] == 4408
    await communicator.disconnect()


async def test_read_marks_membership_and_writes_receipts_in_one_batch():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    await sync_to_async(services.room_join)(room=room, user=bob)
    send = sync_to_async(services.message_send)
    messages = [await send(room=room, sender=alice, content=f"m{n}") for n in range(3)]
    b = await open_socket(bob)
    await b.send_json_to({"type": "read", "room_id": room.pk, "message_id": messages[-1].pk})
    event = await next_event(b, "read")
    assert (event["user_id"], event["message_id"]) == (bob.pk, messages[-1].pk)
    membership = await sync_to_async(Membership.objects.get)(room=room, user=bob)
    assert membership.last_read_message_id == messages[-1].pk
    assert await sync_to_async(ReadReceipt.objects.filter(user=bob).count)() == 3
    await b.disconnect()


async def test_websocket_errors_are_in_korean_without_an_accept_language():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="secret",
                                                     kind=RoomKind.PRIVATE)  # fmt: skip
    token = await sync_to_async(access_token)(bob)
    communicator = WebsocketCommunicator(
        application, f"/ws/chat/?token={token}", headers=HEADERS[:2]
    )
    await communicator.connect()
    await communicator.send_json_to({"type": "join_room", "room_id": room.pk})
    refused = await next_event(communicator, "error")
    assert refused["message"] == "이 번호의 방이 없습니다."
    await communicator.disconnect()


async def test_leaving_on_one_socket_stops_the_rooms_events_on_all_of_them():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=bob, name="general")
    await sync_to_async(services.room_join)(room=room, user=alice)
    first, second, b = await open_socket(alice), await open_socket(alice), await open_socket(bob)
    for communicator in (first, second, b):
        await next_event(communicator, "welcome")

    await first.send_json_to({"type": "leave_room", "room_id": room.pk})
    await next_event(first, "left_room")
    await b.send_json_to({"type": "send_message", "room_id": room.pk, "content": "after"})
    await next_event(b, "new_message")
    await second.send_json_to({"type": "ping"})
    assert (await next_event(second, "pong"))["type"] == "pong"
    assert await second.receive_nothing(timeout=0.5)  # no new_message reached it
    for communicator in (first, second, b):
        await communicator.disconnect()


async def test_a_lone_surrogate_is_refused_and_the_socket_stays():
    alice = await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    a = await open_socket(alice)
    frame = f'{{"type": "send_message", "room_id": {room.pk}, "content": "hi \\ud800"}}'
    await a.send_to(text_data=frame)  # JSON's escape for a lone surrogate
    assert (await next_event(a, "error"))["message"]
    await a.send_json_to({"type": "ping"})
    assert (await next_event(a, "pong"))["type"] == "pong"
    await a.disconnect()


async def test_repeated_joins_and_reads_are_not_broadcast_again():
    alice, bob = await sync_to_async(UserFactory)(), await sync_to_async(UserFactory)()
    room = await sync_to_async(services.room_create)(creator=alice, name="general")
    await sync_to_async(services.room_join)(room=room, user=bob)
    message = await sync_to_async(services.message_send)(room=room, sender=alice, content="m")
    a, b = await open_socket(alice), await open_socket(bob)
    await next_event(a, "welcome")
    for _ in range(3):
        await b.send_json_to({"type": "join_room", "room_id": room.pk})
        await b.send_json_to({"type": "read", "room_id": room.pk, "message_id": message.pk})
    await next_event(a, "read")  # the first read is news; the rest and the joins are not
    await b.send_json_to({"type": "ping"})
    await next_event(b, "pong")
    assert await a.receive_nothing(timeout=0.5)
    await a.disconnect()
    await b.disconnect()


async def test_a_refused_socket_ignores_frames_sent_before_it_closes():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=HEADERS)
    await communicator.connect()
    await communicator.send_json_to({"type": "ping"})
    closed = await communicator.receive_output(timeout=5)
    assert closed["code"] == 1008
    await communicator.disconnect()
