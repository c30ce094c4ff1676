"""WebSocket routing and the Redis channel layer (F4)."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from core.consumers import CLOSE_CODE_NOT_FOUND


@pytest.mark.asyncio
async def test_unknown_websocket_path_closes_with_a_clear_code():
    communicator = WebsocketCommunicator(
        application,
        "/ws/nowhere/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, _ = await communicator.connect()

    assert connected
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close"
    assert output["code"] == CLOSE_CODE_NOT_FOUND
    await communicator.disconnect()


@pytest.mark.asyncio
async def test_foreign_origin_websocket_is_refused():
    communicator = WebsocketCommunicator(
        application, "/ws/nowhere/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()

    assert not connected


@pytest.mark.asyncio
async def test_group_messages_cross_the_redis_channel_layer():
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = await layer.new_channel()
    await layer.group_add("probe", channel)

    await layer.group_send("probe", {"type": "probe.message", "text": "안녕"})

    assert await layer.receive(channel) == {"type": "probe.message", "text": "안녕"}
    await layer.group_discard("probe", channel)


@pytest.mark.asyncio
async def test_events_pushed_from_sync_code_arrive_in_order():
    from asgiref.sync import sync_to_async

    from core.realtime import group_send_nowait

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("ordered", channel)

    def push_many() -> None:
        for number in range(30):
            group_send_nowait("ordered", {"type": "n", "number": number})

    await sync_to_async(push_many)()

    received = [(await layer.receive(channel))["number"] for _ in range(30)]
    assert received == list(range(30))
    await layer.group_discard("ordered", channel)
