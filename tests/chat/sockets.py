"""Chat websocket clients for tests: Channels' communicator on the real Redis channel layer."""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts import services as account_services
from config.asgi import application

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"accept-language", b"en")]


def access_token(user) -> str:  # noqa: ANN001
    return account_services.token_pair_issue(user=user).access


async def open_socket(user=None, *, token: str | None = None) -> WebsocketCommunicator:  # noqa: ANN001
    if user is not None:
        token = await sync_to_async(access_token)(user)
    path = "/ws/chat/" + (f"?token={token}" if token else "")
    communicator = WebsocketCommunicator(application, path, headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def event_within(
    communicator: WebsocketCommunicator, kind: str, seconds: float
) -> dict | None:
    """The next event of ``kind`` if one arrives within ``seconds``, else None, leaving the
    socket open. (``next_event``'s timeout cancels the consumer, as asgiref's communicator does
    on any receive timeout, so it cannot be retried.)"""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0 or await communicator.receive_nothing(timeout=left, interval=0.02):
            return None
        event = json.loads(await communicator.receive_from())  # one is queued: no wait
        if event["type"] == kind:
            return event


async def next_event(communicator: WebsocketCommunicator, kind: str, timeout: float = 5) -> dict:
    """The next event of ``kind`` (heartbeat pings and other kinds skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        event = json.loads(await communicator.receive_from(timeout=max(left, 0.01)))
        if event["type"] == kind:
            return event


async def close_event(communicator: WebsocketCommunicator, timeout: float = 5) -> dict:
    """The socket's `websocket.close`, after whatever frames were sent before it."""
    while True:
        event = await communicator.receive_output(timeout=timeout)
        if event["type"] == "websocket.close":
            return event
        assert event["type"] == "websocket.send", event
