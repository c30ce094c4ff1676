"""`/ws/market/`: live market snapshots (S6). Listening only; anyone may subscribe."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from stocks import selectors
from stocks.broadcast import Mailbox, market_hub, snapshot_text


class MarketConsumer(AsyncWebsocketConsumer):
    # Sockets get snapshots from their process's MarketHub, not from the channel layer, so they
    # need no channel of their own (no per-socket Redis receive, no group membership).
    channel_layer_alias = "__market_sockets_have_no_channel__"

    async def connect(self) -> None:
        self.mailbox = Mailbox(settings.STOCKS_WS_QUEUE_LENGTH)
        self.hub = market_hub()
        # Subscribed before the handshake completes: a snapshot published once the client is
        # connected reaches it (on a fresh process the hub joins the group here).
        await self.hub.subscribe(self.mailbox)
        try:
            await self.accept()
            # The last snapshot at once: the hub's copy, else the cached one from the database.
            if self.hub.latest_text is not None:
                self.mailbox.put(self.hub.latest_text)
            else:
                text = snapshot_text(await database_sync_to_async(selectors.market_snapshot)())
                if not len(self.mailbox):  # a live snapshot that arrived meanwhile is newer
                    self.mailbox.put(text)
        except Exception:
            # Channels calls no disconnect() for a connect() that raised: leave the hub here.
            await self.hub.unsubscribe(self.mailbox)
            raise
        self.writer = asyncio.create_task(self._write_mailbox())

    async def _write_mailbox(self) -> None:
        while True:
            text = await self.mailbox.get()
            # Waits while the client's transport buffer is full: that is the backpressure.
            await self.send(text_data=text)

    async def disconnect(self, code: int) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        if hasattr(self, "hub"):
            await self.hub.unsubscribe(self.mailbox)

    async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
        """The stream is one-way; messages from clients are ignored."""
