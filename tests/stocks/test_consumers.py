"""`/ws/market/` (S6): the last snapshot at once, one group member per process, live pushes."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from config.asgi import application
from stocks import broadcast, services
from stocks.models import MarketIndexSnapshot
from tests.stocks.factories import StockFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def _market_data() -> None:
    StockFactory(code="005930", name_ko="삼성전자", change_percent=Decimal("2.50"))
    StockFactory(code="000660", name_ko="SK하이닉스", change_percent=Decimal("-1.25"))
    MarketIndexSnapshot.objects.create(
        symbol="KOSPI", value=Decimal("2600.5"), previous_close=Decimal("2590"),
        change=Decimal("10.5"), change_percent=Decimal("0.41"), captured_at=timezone.now(),
    )  # fmt: skip


async def _connect() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/market/", headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _group_members() -> int:
    client = aioredis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    try:
        return await client.zcard(f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}"
                                  f":group:{broadcast.MARKET_GROUP}")  # fmt: skip
    finally:
        await client.aclose()


async def test_a_new_subscriber_gets_the_last_snapshot_at_once():
    await sync_to_async(_market_data)()
    communicator = await _connect()

    message = await communicator.receive_json_from(timeout=5)

    assert message["type"] == "market"
    assert message["data"]["indices"][0]["symbol"] == "KOSPI"
    assert message["data"]["indices"][0]["value"] == "2600.5000"
    assert message["data"]["movers"]["gainers"][0]["code"] == "005930"
    assert message["data"]["movers"]["losers"][0]["code"] == "000660"
    await communicator.disconnect()


async def test_every_subscriber_gets_a_publish_through_one_group_member_per_process():
    sockets = [await _connect() for _ in range(5)]
    for socket in sockets:
        await socket.receive_json_from(timeout=5)  # the initial snapshot

    assert await _group_members() == 1  # the hub, not five sockets
    await sync_to_async(services.market_snapshot_publish)()

    for socket in sockets:
        message = await socket.receive_json_from(timeout=5)
        assert message["type"] == "market"
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.2)  # exactly once
        await socket.disconnect()


async def test_subscribers_are_advertised_only_while_connected():
    assert not await sync_to_async(broadcast.has_market_subscribers)()
    first, second = await _connect(), await _connect()
    for socket in (first, second):
        await socket.receive_json_from(timeout=5)  # sent once the socket is subscribed
    assert await sync_to_async(broadcast.has_market_subscribers)()

    await first.disconnect()
    assert await sync_to_async(broadcast.has_market_subscribers)()
    await second.disconnect()
    assert not await sync_to_async(broadcast.has_market_subscribers)()
    assert await _group_members() == 0
    assert not await sync_to_async(services.market_snapshot_publish)()


async def test_a_slow_socket_keeps_only_the_newest_snapshots():
    communicator = await _connect()
    await communicator.receive_json_from(timeout=5)
    hub = broadcast.market_hub()
    (mailbox,) = hub.mailboxes
    texts = [broadcast.snapshot_text({"n": n}) for n in range(50)]

    # Fan out faster than the socket's writer task can run: the mailbox stays bounded.
    for text in texts:
        await hub.fan_out(text)
    assert len(mailbox) <= settings.STOCKS_WS_QUEUE_LENGTH
    assert mailbox.dropped >= 50 - settings.STOCKS_WS_QUEUE_LENGTH

    received = [await communicator.receive_json_from(timeout=5) for _ in range(len(mailbox))]
    assert received[-1]["data"] == {"n": 49}  # the newest always survives
    await communicator.disconnect()


async def test_messages_from_the_client_are_ignored():
    communicator = await _connect()
    await communicator.receive_json_from(timeout=5)

    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "codes": ["005930"]}))
    await communicator.send_to(text_data="not json")

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_hub_rejoins_after_its_group_membership_is_lost(settings):
    settings.STOCKS_WS_HUB_HEARTBEAT_SECONDS = 0.2
    communicator = await _connect()
    await communicator.receive_json_from(timeout=5)
    client = aioredis.Redis.from_url(settings.REDIS_CHANNELS_URL)
    await client.flushdb()  # the layer's Redis forgot the group (restart, expiry)
    await client.aclose()

    await asyncio.sleep(0.6)
    assert await _group_members() == 1
    await sync_to_async(services.market_snapshot_publish)(force=True)
    assert (await communicator.receive_json_from(timeout=5))["type"] == "market"
    await communicator.disconnect()


async def test_the_operators_collect_command_pushes_to_subscribers():
    from io import StringIO

    from django.core.management import call_command

    await sync_to_async(_market_data)()
    communicator = await _connect()
    await communicator.receive_json_from(timeout=5)

    output = StringIO()
    await sync_to_async(call_command)("collect_prices", stdout=output)

    assert "snapshot published" in output.getvalue()
    assert (await communicator.receive_json_from(timeout=5))["type"] == "market"
    await communicator.disconnect()


async def test_an_idle_hub_keeps_listening_past_the_layers_blocking_receive(caplog):
    communicator = await _connect()
    await communicator.receive_json_from(timeout=5)

    # channels-redis blocks 5 s per receive; a shorter socket read timeout broke every idle wait.
    await asyncio.sleep(6)
    await sync_to_async(services.market_snapshot_publish)(force=True)

    assert (await communicator.receive_json_from(timeout=2))["type"] == "market"
    assert "lost the channel layer" not in caplog.text
    await communicator.disconnect()
