"""H7 on a real server and a real socket: a client that stops reading is dropped when its
outgoing queue fills, instead of growing server memory."""

from __future__ import annotations

import base64
import json
import os
import socket
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts import services as account_services
from chat import presence, services
from chat.consumers import room_group
from tests.accounts.factories import UserFactory


def _stalled_socket(port: int, token: str) -> socket.socket:
    """A websocket client that completes the handshake and never reads again."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    client.sendall(
        (f"GET /ws/chat/?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
         f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
         "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1\r\n\r\n").encode()
    )  # fmt: skip
    assert b"101" in client.recv(12)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_client_that_stops_reading_is_dropped_when_its_queue_fills(asgi_server, settings):
    settings.CHAT_WS_QUEUE_LENGTH = 8
    alice, bob = UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="general")
    services.room_join(room=room, user=bob)
    server = asgi_server()
    stalled = _stalled_socket(server.port, account_services.token_pair_issue(user=bob).access)
    deadline = time.monotonic() + 10
    while presence.connection_count(bob.pk) == 0:
        assert time.monotonic() < deadline, "bob's socket never registered"
        time.sleep(0.05)
    layer = get_channel_layer()
    big = json.dumps({"type": "new_message", "message": {"content": "가" * 20_000}})

    # 300 events of 60 KB (18 MB) to the room, as other members' messages would be: far beyond
    # the socket buffers on the way, so the stalled client's queue must fill.
    for _ in range(300):
        async_to_sync(layer.group_send)(room_group(room.pk), {"type": "chat.event", "text": big})
        if not presence.connection_count(bob.pk):
            break

    deadline = time.monotonic() + 20
    while presence.connection_count(bob.pk):  # bob's socket was closed and cleaned up
        assert time.monotonic() < deadline, "the stalled socket was never dropped"
        time.sleep(0.05)
    stalled.close()
