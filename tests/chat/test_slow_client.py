"""H7 on a real server and a real socket: a client that stops reading is dropped when its
outgoing queue fills, instead of growing server memory."""

from __future__ import annotations

import json
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts import services as account_services
from chat import presence, services
from chat.consumers import room_group
from tests.accounts.factories import UserFactory
from tests.stalled import stalled_websocket


@pytest.mark.django_db(transaction=True)
def test_a_client_that_stops_reading_is_dropped_when_its_queue_fills(asgi_server, settings):
    settings.CHAT_WS_QUEUE_LENGTH = 8
    alice, bob = UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="general")
    services.room_join(room=room, user=bob)
    server = asgi_server()
    stalled = stalled_websocket(
        server.port, f"/ws/chat/?token={account_services.token_pair_issue(user=bob).access}"
    )
    deadline = time.monotonic() + 10
    while presence.connection_count(bob.pk) == 0:
        assert time.monotonic() < deadline, "bob's socket never registered"
        time.sleep(0.05)
    big = json.dumps({"type": "new_message", "message": {"content": "가" * 20_000}})

    # 300 events of 60 KB (18 MB) to the room, as other members' messages would be: far beyond
    # the socket buffers on the way, so the stalled client's queue must fill. One event loop for
    # them all, so the layer connects to Redis once rather than once per event.
    @async_to_sync
    async def flood() -> None:
        layer = get_channel_layer()
        for _ in range(300):
            await layer.group_send(room_group(room.pk), {"type": "chat.event", "text": big})
            if not await sync_to_async(presence.connection_count)(bob.pk):
                break

    flood()

    deadline = time.monotonic() + 20
    while presence.connection_count(bob.pk):  # bob's socket was closed and cleaned up
        assert time.monotonic() < deadline, "the stalled socket was never dropped"
        time.sleep(0.05)
    stalled.close()
