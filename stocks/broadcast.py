"""The market broadcast (S6): one subscription to the channel layer per ASGI process.

With one group member per websocket, every socket holds its own pending receive on the layer,
each `group_send` reads the whole group, and members over capacity silently lose the message
(channels-redis issues #62, #83). Measured (bench/README.md): at 5,000 sockets about 3 s of
server CPU per snapshot, and lost deliveries. So sockets do not join the `market` group.

Each ASGI process runs one MarketHub: the hub's channel is the group's only member from that
process; it receives each snapshot once, serialises it once, and hands the same text to every
local socket's mailbox. A mailbox holds at most STOCKS_WS_QUEUE_LENGTH snapshots; a client that
stops reading loses the oldest ones instead of growing server memory (and uvicorn stops writing
to it when its transport buffer is full). bench/README.md has the measurements behind this
choice.

Hubs with at least one socket are listed in a Redis sorted set, scored by when their entry
expires, so the publish job can skip its work when nobody anywhere is listening.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import time
import weakref
from typing import Any

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from core.realtime import group_send_nowait
from core.redis import RedisError, state_redis

logger = logging.getLogger(__name__)

MARKET_GROUP = "market"
HUBS_KEY = "stocks:market:hubs"


def snapshot_text(snapshot: dict[str, Any]) -> str:
    """The websocket frame for a snapshot: `{"type": "market", "data": {...}}`."""
    return json.dumps({"type": "market", "data": snapshot}, cls=DjangoJSONEncoder,
                      ensure_ascii=False, separators=(",", ":"))  # fmt: skip


def snapshot_message(snapshot: dict[str, Any]) -> dict[str, str]:
    """The channel-layer message that carries a snapshot to the market group's hubs."""
    return {"type": "market.snapshot", "text": snapshot_text(snapshot)}


def publish_market_snapshot(snapshot: dict[str, Any], *, wait: bool = False) -> None:
    """Send one snapshot to every market socket in every ASGI process (from sync code).

    Returns at once and sends in the background, unless ``wait``.
    """
    message = snapshot_message(snapshot)
    if wait:
        async_to_sync(get_channel_layer().group_send)(MARKET_GROUP, message)
    else:
        group_send_nowait(MARKET_GROUP, message)


def has_market_subscribers() -> bool:
    """Whether any ASGI process has a market socket open (True if Redis cannot tell)."""
    try:
        client = state_redis()
        client.zremrangebyscore(HUBS_KEY, "-inf", time.time())
        return client.zcard(HUBS_KEY) > 0
    except RedisError:
        return True


class Mailbox:
    """Snapshots waiting for one socket: bounded, dropping the oldest when full."""

    def __init__(self, maxlen: int) -> None:
        self._items: collections.deque[str] = collections.deque(maxlen=maxlen)
        self._ready = asyncio.Event()
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, text: str) -> None:
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(text)
        self._ready.set()

    async def get(self) -> str:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()


# Pauses between a hub's attempts to join the market group before it leaves it to the heartbeat.
JOIN_RETRY_DELAYS_SECONDS = (0.1, 0.3, 1.0)


class MarketHub:
    """This event loop's single member of the `market` group, fanning out to local mailboxes."""

    def __init__(self) -> None:
        self.mailboxes: set[Mailbox] = set()
        self.latest_text: str | None = None
        self.delivered = 0
        self._lock = asyncio.Lock()
        self._channel: str | None = None
        self._tasks: list[asyncio.Task] = []
        # A layer object of its own: channels-redis receives on one event loop per object (a
        # second loop's receive() raises), and there is one hub per loop. With one loop per
        # process this is one more Redis pool; with several (tests, embedded servers) each hub
        # still receives at once instead of backing off behind the other's receive.
        self._layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)

    @property
    def member_id(self) -> str:
        return self._channel or ""

    async def subscribe(self, mailbox: Mailbox) -> None:
        async with self._lock:
            self.mailboxes.add(mailbox)
            if self._channel is None:
                await self._start()

    async def unsubscribe(self, mailbox: Mailbox) -> None:
        async with self._lock:
            self.mailboxes.discard(mailbox)
            if not self.mailboxes and self._channel is not None:
                await self._stop()

    async def _start(self) -> None:
        self._channel = await self._layer.new_channel(prefix="market-hub.")
        # Joined before the first socket is told it is subscribed. A busy loop (hundreds of
        # handshakes at once) can miss Redis's 0.5 s connect timeout once; left to the heartbeat,
        # the hub then missed every snapshot for 10 s.
        for delay_seconds in (*JOIN_RETRY_DELAYS_SECONDS, None):
            try:
                await self._layer.group_add(MARKET_GROUP, self._channel)
                break
            except Exception:  # noqa: BLE001 - sockets still get the last snapshot; the heartbeat rejoins
                if delay_seconds is None:
                    logger.warning("market hub could not join the group yet", exc_info=True)
                    break
                await asyncio.sleep(delay_seconds)
        await asyncio.to_thread(self._advertise, self._channel)
        self._tasks = [asyncio.create_task(self._receive_loop(self._channel)),
                       asyncio.create_task(self._heartbeat_loop(self._channel))]  # fmt: skip

    async def _stop(self) -> None:
        channel, self._channel = self._channel, None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        self.latest_text = None
        with contextlib.suppress(Exception):
            await self._layer.group_discard(MARKET_GROUP, channel)
        await asyncio.to_thread(self._withdraw, channel)

    @staticmethod
    def _advertise(channel: str) -> None:
        expires = time.time() + 3 * settings.STOCKS_WS_HUB_HEARTBEAT_SECONDS
        with contextlib.suppress(RedisError):
            state_redis().zadd(HUBS_KEY, {channel: expires})

    @staticmethod
    def _withdraw(channel: str) -> None:
        with contextlib.suppress(RedisError):
            state_redis().zrem(HUBS_KEY, channel)

    async def _heartbeat_loop(self, channel: str) -> None:
        while True:
            await asyncio.sleep(settings.STOCKS_WS_HUB_HEARTBEAT_SECONDS)
            await asyncio.to_thread(self._advertise, channel)
            # Group membership expires in channels-redis (group_expiry); renew it with the entry.
            with contextlib.suppress(Exception):
                await self._layer.group_add(MARKET_GROUP, channel)

    async def _receive_loop(self, channel: str) -> None:
        failures = 0
        while True:
            try:
                message = await self._layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer's Redis is away: wait and listen again
                failures += 1
                if failures == 1:
                    logger.warning("market hub lost the channel layer; retrying", exc_info=True)
                await asyncio.sleep(min(10.0, 0.2 * 2 ** min(failures, 6)))
                continue
            failures = 0
            if message.get("type") == "market.snapshot":
                await self.fan_out(message["text"])

    async def fan_out(self, text: str) -> None:
        """Hand ``text`` to every local socket, STOCKS_WS_FANOUT_SLICE sockets at a time.

        Each mailbox put wakes that socket's writer; between slices the event loop serves
        requests and other sockets, instead of writing thousands of frames in one go."""
        self.latest_text = text  # sockets that connect meanwhile start from it
        mailboxes = list(self.mailboxes)  # others may (un)subscribe while we yield
        slice_size = max(1, settings.STOCKS_WS_FANOUT_SLICE)
        for start in range(0, len(mailboxes), slice_size):
            if start:
                await asyncio.sleep(0)
            for mailbox in mailboxes[start : start + slice_size]:
                mailbox.put(text)
        self.delivered += len(mailboxes)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MarketHub] = weakref.WeakKeyDictionary()


def market_hub() -> MarketHub:
    """The hub of the running event loop (one per ASGI process in production)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = MarketHub()
    return hub
