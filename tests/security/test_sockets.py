"""Item 1 (websockets) of the security review: `/ws/chat/` never lets a user act on or hear a
private room of others, and refuses sockets a page of another site opens; native clients, which
send no Origin, get in by token but never by a session cookie."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts import services as account_services
from chat.consumers import ChatConsumer
from chat.models import Message, ReadReceipt
from config.asgi import application
from pipelines import services as pipeline_services
from pipelines.registry import JOBS
from tests.chat.sockets import HEADERS, access_token, close_event, next_event, open_socket
from tests.security.conftest import MISSING_ID, SECRET, TwoUsers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

NO_ROOM = "There is no room with this id."

# Every frame that names a room, sent for alice's private room; a new handler must be added.
ROOM_FRAMES = {
    "join_room": lambda s, room_id: {"room_id": room_id},
    "leave_room": lambda s, room_id: {"room_id": room_id},
    "send_message": lambda s, room_id: {"room_id": room_id, "content": "pwned"},
    "read": lambda s, room_id: {"room_id": room_id, "message_id": s.private_message.pk},
}


async def test_every_socket_frame_kind_is_in_the_table():
    assert set(ChatConsumer.HANDLERS) == {"ping", *ROOM_FRAMES}


async def _error_for(communicator: WebsocketCommunicator, frame: dict) -> str:
    await communicator.send_json_to(frame)
    return (await next_event(communicator, "error"))["message"]


@pytest.mark.parametrize("kind", list(ROOM_FRAMES))
async def test_a_frame_naming_another_users_private_room_is_answered_as_a_missing_room(
    two_users: TwoUsers, kind
):
    s = two_users
    before = await sync_to_async(s.rows_of_alice)()
    bob = await open_socket(s.bob)
    welcome = await next_event(bob, "welcome")
    assert s.private_room.pk not in welcome["rooms"]

    missing = await _error_for(bob, {"type": kind, **ROOM_FRAMES[kind](s, MISSING_ID)})
    refused = await _error_for(bob, {"type": kind, **ROOM_FRAMES[kind](s, s.private_room.pk)})

    assert refused == missing == NO_ROOM
    assert await sync_to_async(s.rows_of_alice)() == before
    await bob.disconnect()


async def test_events_of_a_private_room_never_reach_outsiders(two_users: TwoUsers):
    s = two_users
    alice, bob = await open_socket(s.alice), await open_socket(s.bob)
    await next_event(alice, "welcome")
    await next_event(bob, "welcome")

    await alice.send_json_to({"type": "send_message", "room_id": s.private_room.pk,
                              "content": f"{SECRET} live"})  # fmt: skip
    assert (await next_event(alice, "new_message"))["message"]["content"] == f"{SECRET} live"
    await alice.send_json_to({"type": "read", "room_id": s.private_room.pk,
                              "message_id": s.private_message.pk})  # fmt: skip
    # Then an event bob must get: everything he got before it is what he could have heard.
    await alice.send_json_to({"type": "send_message", "room_id": s.public_room.pk,
                              "content": "for everyone"})  # fmt: skip
    heard = []
    while True:
        event = json.loads(await bob.receive_from(timeout=5))
        heard.append(event)
        if event["type"] == "new_message":
            break

    assert heard[-1]["message"]["content"] == "for everyone"
    assert SECRET not in json.dumps(heard)
    assert all(event.get("room_id") != s.private_room.pk for event in heard)
    await alice.disconnect()
    await bob.disconnect()


async def test_a_socket_message_cannot_attach_another_users_image(two_users: TwoUsers):
    s = two_users
    bob = await open_socket(s.bob)
    frame = {"type": "send_message", "room_id": s.public_room.pk, "content": "look",
             "image": str(s.image.pk)}  # fmt: skip

    assert "your own images" in await _error_for(bob, frame)
    assert not await sync_to_async(Message.objects.filter(sender=s.bob, image=s.image).exists)()
    await bob.disconnect()


async def test_reading_another_rooms_message_id_writes_no_receipt(two_users: TwoUsers):
    s = two_users
    bob = await open_socket(s.bob)
    frame = {"type": "read", "room_id": s.public_room.pk, "message_id": s.private_message.pk}

    assert await _error_for(bob, frame)
    assert not await sync_to_async(ReadReceipt.objects.filter(user=s.bob).exists)()
    await bob.disconnect()


async def test_a_socket_opened_by_another_sites_page_is_refused(two_users: TwoUsers):
    """The session cookie goes with any page's websocket: the Origin must be one of ours
    (cross-site websocket hijacking)."""
    token = await sync_to_async(access_token)(two_users.bob)
    headers = [(b"origin", b"https://evil.example"), (b"host", b"127.0.0.1")]
    communicator = WebsocketCommunicator(application, f"/ws/chat/?token={token}", headers=headers)

    connected, _ = await communicator.connect()

    assert not connected
    await communicator.disconnect()


async def test_a_token_revoked_by_log_out_everywhere_no_longer_opens_a_socket(
    two_users: TwoUsers,
):
    token = await sync_to_async(access_token)(two_users.bob)
    await sync_to_async(account_services.user_sessions_revoke_all)(user=two_users.bob)
    communicator = WebsocketCommunicator(application, f"/ws/chat/?token={token}", headers=HEADERS)

    connected, _ = await communicator.connect()
    closed = await communicator.receive_output(timeout=5)

    assert connected and closed["code"] == 1008
    await communicator.disconnect()


@pytest.mark.parametrize("how", ["log out everywhere", "a new password"])
async def test_ending_every_session_closes_the_sockets_already_open(two_users: TwoUsers, how):
    """A stolen token's socket must not keep hearing private rooms after its owner signed out
    everywhere: the token is refused at the next connect, and the open sockets are closed."""
    s = two_users
    bob = await open_socket(s.bob)
    await next_event(bob, "welcome")

    def end_every_session() -> None:
        if how == "log out everywhere":
            account_services.user_sessions_revoke_all(user=s.bob)
        else:
            s.bob.set_password("an entirely new passphrase")
            s.bob.save()

    await sync_to_async(end_every_session)()

    event = await close_event(bob)
    assert (event["code"], event["reason"]) == (4401, "Signed out")
    await bob.disconnect()


# --- handshakes on a real server with a real client (Python `websockets`, no Origin) ---------


def _session_cookie(user) -> str:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def _first_frame(url: str, headers: dict[str, str] | None = None) -> dict | int:
    """The first frame the server sends on a new socket, or the close code it sends instead.
    No Origin unless ``headers`` has one, as a native client."""
    async with connect(url, additional_headers=headers, proxy=None, open_timeout=30) as socket:
        try:
            return json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
        except ConnectionClosed as closed:
            return closed.rcvd.code


async def _handshake_status(url: str, headers: dict[str, str]) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await _first_frame(url, headers)
    return refused.value.response.status_code


async def test_a_native_client_without_an_origin_gets_the_market_and_chat_by_token(
    two_users: TwoUsers, asgi_server
):
    server = asgi_server()
    token = await sync_to_async(access_token)(two_users.bob)

    market = await _first_frame(f"{server.ws_url}/ws/market/")
    welcome = await _first_frame(f"{server.ws_url}/ws/chat/?token={token}")

    assert market["type"] == "market"
    assert (welcome["type"], welcome["user_id"]) == ("welcome", two_users.bob.pk)


async def test_a_session_cookie_authenticates_a_socket_only_with_one_of_our_origins(
    two_users: TwoUsers, asgi_server
):
    """Without an Origin the cookie is not used (no page of ours opens a socket without one), so
    the socket is anonymous; with another site's Origin the handshake is refused."""
    server = asgi_server()
    cookie = await sync_to_async(_session_cookie)(two_users.bob)
    url = f"{server.ws_url}/ws/chat/"

    ours = await _first_frame(url, {"Cookie": cookie, "Origin": "http://127.0.0.1"})
    without_origin = await _first_frame(url, {"Cookie": cookie})
    foreign = await _handshake_status(url, {"Cookie": cookie, "Origin": "https://evil.example"})

    assert (ours["type"], ours["user_id"]) == ("welcome", two_users.bob.pk)
    assert without_origin == 1008  # as any anonymous socket: "Authentication required"
    assert foreign == 403


async def test_the_staff_pipeline_stream_needs_its_cookie_and_so_one_of_our_origins(
    two_users: TwoUsers, asgi_server
):
    """`/ws/pipelines/` authenticates by the session cookie only: a native client cannot open it,
    whatever cookie it sends."""
    two_users.alice.is_staff = True
    await sync_to_async(two_users.alice.save)()
    server = asgi_server()
    cookie = await sync_to_async(_session_cookie)(two_users.alice)
    url = f"{server.ws_url}/ws/pipelines/"

    async with connect(url, additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1"},
                       proxy=None, open_timeout=30) as page:  # fmt: skip
        await sync_to_async(pipeline_services.job_run_create)(
            job=JOBS["pipelines.prune_runs"], trigger="manual"
        )
        assert json.loads(await asyncio.wait_for(page.recv(), timeout=30))["type"] == "run"
    assert await _first_frame(url, {"Cookie": cookie}) == 1008
