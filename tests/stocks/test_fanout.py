"""The market broadcast under load (S6), on real uvicorn servers and real sockets.

Two in-process uvicorn servers stand in for two ASGI processes: each has its own event loop and
so its own MarketHub, and snapshots reach them only through the Redis channel layer.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import aiohttp
from django.conf import settings

from stocks import broadcast
from tests.stalled import stalled_websocket

SUBSCRIBERS_PER_SERVER = 500
SNAPSHOTS = 5


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1)) * 1024


def _hub_mailboxes() -> list[broadcast.Mailbox]:
    return [mailbox for hub in list(broadcast._hubs.values()) for mailbox in hub.mailboxes]


async def _subscribe(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    # Bounded: a handshake that never completes must fail the test, not hang the suite.
    socket_ = await asyncio.wait_for(
        session.ws_connect(url, headers={"Origin": "http://127.0.0.1"}), timeout=60
    )
    first = await socket_.receive_json(timeout=30)  # the last snapshot, at once
    assert first["type"] == "market"
    return socket_


async def _sequence_numbers(socket_: aiohttp.ClientWebSocketResponse) -> list[int]:
    numbers = []
    while len(numbers) < SNAPSHOTS:
        message = await socket_.receive_json(timeout=60)
        numbers.append(message["data"]["sequence"])
    return numbers


def test_every_subscriber_in_every_process_gets_every_snapshot(asgi_server, capfd):
    servers = [asgi_server(), asgi_server()]

    async def scenario() -> list[list[int]]:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            sockets = await asyncio.gather(*[
                _subscribe(session, f"{server.ws_url}/ws/market/")
                for server in servers for _ in range(SUBSCRIBERS_PER_SERVER)
            ])  # fmt: skip
            assert len(broadcast._hubs) >= 2  # one hub per server loop
            # Published back to back: a subscriber that reads must still get each one, in order.
            for sequence in range(SNAPSHOTS):
                broadcast.publish_market_snapshot({"sequence": sequence, "pad": "x" * 2000})
            received = await asyncio.gather(*[_sequence_numbers(s) for s in sockets])
            await asyncio.gather(*[s.close() for s in sockets])
            return received

    received = asyncio.run(asyncio.wait_for(scenario(), timeout=240))

    assert len(received) == 2 * SUBSCRIBERS_PER_SERVER
    assert all(numbers == list(range(SNAPSHOTS)) for numbers in received)
    delivered = sum(len(numbers) for numbers in received)
    assert delivered == 2 * SUBSCRIBERS_PER_SERVER * SNAPSHOTS
    # Each hub received as it came, never backing off: two loops' hubs on one channel-layer
    # object made one of them fail and retry, delivering late (45 s on a quiet machine).
    assert "market hub lost the channel layer" not in capfd.readouterr().err


def test_a_client_that_stops_reading_cannot_grow_server_memory(asgi_server):
    server = asgi_server()
    stalled = stalled_websocket(server.port, "/ws/market/")
    deadline = time.monotonic() + 10
    # Advertised once the hub has joined the group: from then on nothing published is missed.
    while not (_hub_mailboxes() and broadcast.has_market_subscribers()):
        assert time.monotonic() < deadline, "the stalled socket never subscribed"
        time.sleep(0.05)
    (mailbox,) = _hub_mailboxes()

    (hub,) = [hub for hub in broadcast._hubs.values() if mailbox in hub.mailboxes]
    snapshot_bytes = 64 * 1024

    def publish(sequence: int) -> None:
        # One at a time, each awaited until fanned out: what is held is held by the server, not
        # queued in this process's publisher.
        target = hub.delivered + 1
        broadcast.publish_market_snapshot({"sequence": sequence, "pad": "x" * snapshot_bytes})
        deadline = time.monotonic() + 10
        while hub.delivered < target:
            assert time.monotonic() < deadline, f"snapshot {sequence} never fanned out"
            time.sleep(0.002)

    for sequence in range(20):  # warm up the allocator and fill the kernel's socket buffers
        publish(sequence)
    count = 300  # 19 MB more: far beyond every socket buffer on the way
    before = _rss_bytes()
    for sequence in range(20, 20 + count):
        publish(sequence)
    growth = _rss_bytes() - before

    assert len(mailbox) <= settings.STOCKS_WS_QUEUE_LENGTH
    # What the kernel's socket buffers took (a few MB on loopback) was written; the rest dropped.
    assert mailbox.dropped > count // 2
    assert growth < (count * snapshot_bytes) // 3, f"server memory grew by {growth} bytes"
    latest = json.loads(mailbox._items[-1])
    assert latest["data"]["sequence"] == 20 + count - 1  # what it will read next is the newest
    stalled.close()
