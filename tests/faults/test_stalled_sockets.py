"""Fault (d): websocket clients that never read, on a real uvicorn process, while the server is
sent far more than it could hold for them. The chat socket is disconnected once its queue fills;
the market socket keeps only its latest snapshots. Either way the server's memory (its process's
RSS) stays within a bound well under what was sent.

tests/chat/test_slow_client.py shows the chat drop on an in-thread server; this adds the memory
of a separate process, and the market socket.
"""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts import services as account_services
from chat import presence, services
from chat.consumers import room_group
from stocks.broadcast import MARKET_GROUP, has_market_subscribers, snapshot_message
from tests.accounts.factories import UserFactory
from tests.stalled import stalled_websocket

pytestmark = pytest.mark.django_db(transaction=True)  # the server process sees committed rows

MESSAGE_BYTES = 200_000
MESSAGES = 500  # 100 MB in all
# What the server may grow by: its queues (chat: CHAT_WS_QUEUE_LENGTH messages, market:
# STOCKS_WS_QUEUE_LENGTH snapshots) and buffers, far under the 100 MB sent.
RSS_GROWTH_BOUND = 50 * 1024 * 1024
WAIT_SECONDS = 30


def _wait(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@async_to_sync
async def _flood(group: str, message, rss) -> int:  # noqa: ANN001
    """Send MESSAGES big messages (``message(n)``) to ``group``; returns the highest RSS seen
    meanwhile and just after.

    One event loop for the whole flood: the layer keeps its Redis connections per loop, and a
    loop per send (async_to_sync each time) opened 500 connections, one of which could miss
    the 0.5 s connect timeout on a busy CI machine.
    """
    layer = get_channel_layer()
    highest = rss()
    for n in range(MESSAGES):
        await layer.group_send(group, message(n))
        if n % 25 == 0:
            highest = max(highest, rss())
    await asyncio.sleep(2)  # what is in flight arrives
    return max(highest, rss())


def test_a_chat_client_that_never_reads_is_dropped_and_server_memory_stays_flat(site_process):
    alice, bob = UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="general")
    services.room_join(room=room, user=bob)
    server = site_process()
    process = psutil.Process(server.process.pid)
    token = account_services.token_pair_issue(user=bob).access
    stalled = stalled_websocket(server.port, f"/ws/chat/?token={token}")
    _wait(lambda: presence.connection_count(bob.pk) > 0, "bob's socket never registered")
    baseline = process.memory_info().rss

    def message(n: int) -> dict:
        text = f'{{"type": "new_message", "n": {n}, "content": "{"x" * MESSAGE_BYTES}"}}'
        return {"type": "chat.event", "text": text}

    highest = _flood(room_group(room.pk), message, lambda: process.memory_info().rss)

    assert highest - baseline < RSS_GROWTH_BOUND, (highest - baseline) // 2**20
    _wait(lambda: presence.connection_count(bob.pk) == 0, "the stalled socket was never dropped")
    stalled.close()


def test_a_market_client_that_never_reads_keeps_server_memory_flat(site_process):
    server = site_process()
    process = psutil.Process(server.process.pid)
    stalled = stalled_websocket(server.port, "/ws/market/")
    _wait(has_market_subscribers, "the market socket never subscribed")
    baseline = process.memory_info().rss

    def message(n: int) -> dict:  # what publish_market_snapshot sends
        return snapshot_message({"n": n, "filler": "x" * MESSAGE_BYTES})

    highest = _flood(MARKET_GROUP, message, lambda: process.memory_info().rss)

    assert highest - baseline < RSS_GROWTH_BOUND, (highest - baseline) // 2**20
    assert has_market_subscribers()  # still served: it loses the oldest snapshots, not the socket
    stalled.close()
