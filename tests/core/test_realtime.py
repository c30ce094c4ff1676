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
