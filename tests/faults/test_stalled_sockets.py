"""Fault (d): websocket clients that never read, on a real uvicorn process, while the server is
sent far more than it could hold for them. The chat socket is disconnected once its queue fills;
the market socket keeps only its latest snapshots. Either way the server's memory (its process's
RSS) stays within a bound well under what was sent.

tests/chat/test_slow_client.py shows the chat drop on an in-thread server; this adds the memory
of a separate process, and the market socket.
"""

from __future__ import annotations

import base64
import os
import socket
import time

import psutil
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts import services as account_services
from chat import presence, services
from chat.consumers import room_group
from stocks.broadcast import has_market_subscribers, publish_market_snapshot
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the server process sees committed rows

MESSAGE_BYTES = 200_000
MESSAGES = 500  # 100 MB in all
# What the server may grow by: its queues (chat: CHAT_WS_QUEUE_LENGTH messages, market:
# STOCKS_WS_QUEUE_LENGTH snapshots) and buffers, far under the 100 MB sent.
RSS_GROWTH_BOUND = 50 * 1024 * 1024
WAIT_SECONDS = 30


def _stalled_socket(port: int, path: str) -> socket.socket:
    """A websocket client that completes the handshake and never reads again."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    client.sendall(
        (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
         "Origin: http://127.0.0.1\r\n\r\n").encode()
    )  # fmt: skip
    assert b"101" in client.recv(12)
    return client


def _wait(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _flood(send, rss) -> int:  # noqa: ANN001
    """Send MESSAGES big messages; returns the highest RSS seen meanwhile and just after."""
    highest = rss()
    for n in range(MESSAGES):
        send(n)
        if n % 25 == 0:
            highest = max(highest, rss())
    time.sleep(2)  # what is in flight arrives
    return max(highest, rss())


def test_a_chat_client_that_never_reads_is_dropped_and_server_memory_stays_flat(site_process):
    alice, bob = UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="general")
    services.room_join(room=room, user=bob)
    server = site_process()
    process = psutil.Process(server.process.pid)
    token = account_services.token_pair_issue(user=bob).access
    stalled = _stalled_socket(server.port, f"/ws/chat/?token={token}")
    _wait(lambda: presence.connection_count(bob.pk) > 0, "bob's socket never registered")
    baseline = process.memory_info().rss
    layer = get_channel_layer()
    group = room_group(room.pk)

    def send(n: int) -> None:
        text = f'{{"type": "new_message", "n": {n}, "content": "{"x" * MESSAGE_BYTES}"}}'
        async_to_sync(layer.group_send)(group, {"type": "chat.event", "text": text})

    highest = _flood(send, lambda: process.memory_info().rss)

    assert highest - baseline < RSS_GROWTH_BOUND, (highest - baseline) // 2**20
    _wait(lambda: presence.connection_count(bob.pk) == 0, "the stalled socket was never dropped")
    stalled.close()


def test_a_market_client_that_never_reads_keeps_server_memory_flat(site_process):
    server = site_process()
    process = psutil.Process(server.process.pid)
    stalled = _stalled_socket(server.port, "/ws/market/")
    _wait(has_market_subscribers, "the market socket never subscribed")
    baseline = process.memory_info().rss

    def send(n: int) -> None:
        publish_market_snapshot({"n": n, "filler": "x" * MESSAGE_BYTES}, wait=True)

    highest = _flood(send, lambda: process.memory_info().rss)

    assert highest - baseline < RSS_GROWTH_BOUND, (highest - baseline) // 2**20
    assert has_market_subscribers()  # still served: it loses the oldest snapshots, not the socket
    stalled.close()
