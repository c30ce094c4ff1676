"""H5 and H6 across real processes: two uvicorn processes serving `config.asgi:application`, with
websocket clients on real sockets.

The other chat tests run the consumer inside the test process (a communicator, or uvicorn in a
thread), where memory is shared. Here the two servers are separate processes, connected only
through the Redis channel layer, the Redis presence state and the test database, just like ASGI
processes on different machines behind a load balancer.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from django.conf import settings
from django.db import connection

from accounts import services as account_services
from bench.servers import UvicornServer
from chat import presence, services
from chat.models import Message
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the servers must see committed rows

START_SECONDS = 120  # two Django start-ups on a busy two-core machine
EVENT_SECONDS = 20  # the longest wait for any one event
SCENARIO_SECONDS = 120
ORIGIN = {"Origin": "http://127.0.0.1"}  # AllowedHostsOriginValidator wants an allowed origin


def _server_env() -> dict[str, str]:
    """This process's environment, pointed at the test database (the one pytest-django created).
    The test settings derive the same Redis databases (cache, state, channel layer) from
    REDIS_URL, so the servers share the channel layer and presence state with this process."""
    database = urlsplit(os.environ["DATABASE_URL"])
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": urlunsplit(database._replace(path=f"/{connection.settings_dict['NAME']}")),
        "DB_POOL_MIN_SIZE": "1",
        "CHAT_MAX_CONNECTIONS_PER_USER": str(settings.CHAT_MAX_CONNECTIONS_PER_USER),
    }


@pytest.fixture(scope="module")
def two_servers(django_db_setup) -> Iterator[tuple[UvicornServer, UvicornServer]]:
    """Process A and process B. Both start at once and both are stopped at the end, whatever
    happens."""
    env = _server_env()
    servers: list[UvicornServer] = []
    try:
        for name in ("A", "B"):
            servers.append(UvicornServer(name, env))
        deadline = time.monotonic() + START_SECONDS
        for server in servers:
            server.wait_ready(deadline)
        yield servers[0], servers[1]
    finally:
        with ThreadPoolExecutor(max(len(servers), 1)) as pool:  # both at once: each may take 3 s
            list(pool.map(UvicornServer.stop, servers))


def _run(scenario: Coroutine[Any, Any, None], servers: tuple[UvicornServer, ...]) -> None:
    """Run ``scenario`` with a time limit. If it fails, the servers' logs go into the error."""
    try:
        asyncio.run(asyncio.wait_for(scenario, timeout=SCENARIO_SECONDS))
    except Exception as exc:
        logs = "\n".join(
            f"--- server {server.mode} (port {server.port}, exit code {server.process.poll()}) ---"
            f"\n{server.log_tail()}"
            for server in servers
        )
        raise AssertionError(f"{exc!r}\n{logs}") from exc


def _token(user) -> str:  # noqa: ANN001
    return account_services.token_pair_issue(user=user).access


class Client:
    """One `/ws/chat/` socket, named for messages (for example "alice@B")."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, name: str) -> None:
        self.ws = ws
        self.name = name
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, server: UvicornServer, token: str, name: str
    ) -> Client:
        url = f"ws://127.0.0.1:{server.port}/ws/chat/?token={token}"
        ws = await asyncio.wait_for(session.ws_connect(url, headers=ORIGIN), EVENT_SECONDS)
        client = cls(ws, name)
        client.welcome = await client.next("welcome")  # connected, subscribed, counted
        return client

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(frame, ensure_ascii=False))

    async def _receive(
        self, waiting_for: str, deadline: float, seen: list[str]
    ) -> aiohttp.WSMessage:
        """The next frame, or an AssertionError at ``deadline``: frames skipped, and the protocol
        pings that aiohttp answers inside ``receive`` (restarting its own timeout), do not extend
        it."""
        try:
            return await asyncio.wait_for(self.ws.receive(), max(deadline - time.monotonic(), 0))
        except TimeoutError:
            raise AssertionError(
                f"{self.name}: no {waiting_for} within {EVENT_SECONDS} s (got {seen})"
            ) from None

    async def next(self, kind: str) -> dict[str, Any]:
        """The next event of ``kind``; other events (heartbeat pings, for example) are skipped."""
        deadline = time.monotonic() + EVENT_SECONDS
        seen: list[str] = []
        while True:
            message = await self._receive(repr(kind), deadline, seen)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise AssertionError(
                    f"{self.name}: {message.type.name} {message.data!r} {message.extra!r} "
                    f"while waiting for {kind!r} (got {seen})"
                )
            event = json.loads(message.data)
            if event["type"] == kind:
                return event
            seen.append(event["type"])

    async def closed(self) -> tuple[int, str]:
        """The close frame's code and reason, once the server closes this socket."""
        deadline = time.monotonic() + EVENT_SECONDS
        seen: list[str] = []
        while True:
            message = await self._receive("close", deadline, seen)
            if message.type is aiohttp.WSMsgType.TEXT:
                seen.append(json.loads(message.data)["type"])
                continue
            assert message.type is aiohttp.WSMsgType.CLOSE, f"{self.name}: {message!r}"
            return message.data, message.extra

    async def close(self) -> None:
        await asyncio.wait_for(self.ws.close(), EVENT_SECONDS)


def test_room_events_sent_on_one_process_reach_members_on_the_other(two_servers):
    a, b = two_servers
    alice, bob = UserFactory(), UserFactory()
    room = services.room_create(creator=alice, name="two processes")
    alice_token, bob_token = _token(alice), _token(bob)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            alice_b = await Client.open(session, b, alice_token, "alice@B")
            assert alice_b.welcome["rooms"] == [room.pk]  # a member: subscribed at connect
            bob_a = await Client.open(session, a, bob_token, "bob@A")
            assert bob_a.welcome["rooms"] == []

            await bob_a.send({"type": "join_room", "room_id": room.pk})
            assert (await bob_a.next("joined_room"))["room_id"] == room.pk
            joined = await alice_b.next("user_joined")  # A to B
            assert (joined["room_id"], joined["user"]["id"]) == (room.pk, bob.pk)

            for sender, content in ((bob_a, "삼성전자 상승, A에서"), (alice_b, "reply from B")):
                await sender.send({"type": "send_message", "room_id": room.pk, "content": content})
                for client in (alice_b, bob_a):  # on the sender's process and on the other
                    message = (await client.next("new_message"))["message"]
                    got = (message["room_id"], message["sender"]["id"], message["content"])
                    sender_id = (bob if sender is bob_a else alice).pk
                    assert got == (room.pk, sender_id, content), client.name
            await bob_a.close()
            await alice_b.close()

    _run(scenario(), two_servers)
    senders = Message.objects.filter(room=room).order_by("pk").values_list("sender_id", flat=True)
    assert list(senders) == [bob.pk, alice.pk]


def test_a_connection_past_the_limit_closes_the_oldest_even_on_the_other_process(two_servers):
    a, b = two_servers
    limit = settings.CHAT_MAX_CONNECTIONS_PER_USER
    carol = UserFactory()
    token = _token(carol)

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            clients: list[Client] = []
            for number in range(limit):  # A, B, A, B, ...: the oldest is on A
                server = (a, b)[number % 2]
                name = f"#{number}@{server.mode}"
                clients.append(await Client.open(session, server, token, name))
            assert presence.connection_count(carol.pk) == limit

            # One more on B closes the oldest, on A; one more on A then closes the next, on B.
            for number, server in ((limit, b), (limit + 1, a)):
                oldest = clients.pop(0)
                assert oldest.name.split("@")[1] != server.mode
                name = f"#{number}@{server.mode}"
                clients.append(await Client.open(session, server, token, name))
                assert await oldest.closed() == (1008, "Too many connections"), oldest.name

            for client in clients:  # the others are still open and served
                await client.send({"type": "ping"})
                await client.next("pong")
            assert presence.connection_count(carol.pk) == limit
            for client in clients:
                await client.close()

    _run(scenario(), two_servers)
