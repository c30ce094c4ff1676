"""The naive market websocket, for comparison in bench/market_fanout.py only.

    uvicorn bench.channels_group_asgi:application

What stocks/broadcast.py does not do: every socket has its own channel and joins the channel-layer
group `market-naive` (the project's settings, so the same channels-redis layer), and each snapshot
is one `group_send` to that group. On connect a socket gets the last snapshot this process saw.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

NAIVE_GROUP = "market-naive"
_latest: dict[str, str] = {}


class NaiveMarketConsumer(AsyncWebsocketConsumer):
    groups = [NAIVE_GROUP]  # joined with group_add(NAIVE_GROUP, self.channel_name) on connect

    async def connect(self) -> None:
        await self.accept()
        if "text" in _latest:
            await self.send(text_data=_latest["text"])

    async def market_snapshot(self, event: dict) -> None:
        _latest["text"] = event["text"]
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/market/", NaiveMarketConsumer.as_asgi())])}
)
