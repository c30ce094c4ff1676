"""Presence (H4, H6) in the real Redis: a socket's keys live about three heartbeats, so a process
that died without cleaning up stops showing its users online within that, not within an hour."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from chat import presence
from core.redis import state_redis
from tests.accounts.factories import UserFactory
from tests.chat.sockets import next_event, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _presence_ttls_ms(user_id: int) -> list[int]:
    """The remaining lives of the user's set and of each of their sockets' keys."""
    redis = state_redis()
    keys = [f"chat:connections:{user_id}", *redis.keys("chat:socket:*")]
    return [redis.pttl(key) for key in keys]


@pytest.mark.asyncio
async def test_an_open_sockets_presence_lives_three_heartbeats_and_its_heartbeat_renews_it(
    settings,
):
    settings.CHAT_PING_SECONDS = 30  # the defaults: 30 s pings, 60 s of silence allowed
    settings.CHAT_IDLE_SECONDS = 60
    user = await sync_to_async(UserFactory)()
    communicator = await open_socket(user)
    await next_event(communicator, "welcome")

    ttls = await sync_to_async(_presence_ttls_ms)(user.pk)
    assert len(ttls) == 2
    assert all(0 < ttl <= 90_000 for ttl in ttls), ttls  # was an hour
    await communicator.disconnect()

    # Beats of 1 s: keys of 3 s, which the heartbeat pushes back up before they run out.
    settings.CHAT_PING_SECONDS = 1
    communicator = await open_socket(user)
    await next_event(communicator, "welcome")
    previous = min(await sync_to_async(_presence_ttls_ms)(user.pk))
    assert 0 < previous <= 3_000
    # The keys only count down between renewals: a longer life left than just before is one.
    deadline = time.monotonic() + 10
    while (left := min(await sync_to_async(_presence_ttls_ms)(user.pk))) <= previous:
        assert time.monotonic() < deadline, "the heartbeat never renewed the presence keys"
        assert left > 0, "the presence keys ran out while the socket was open"
        previous = left
        await asyncio.sleep(0.02)
    await communicator.disconnect()
    assert await sync_to_async(presence.online_among)([user.pk]) == set()


def test_the_sockets_of_a_process_that_died_stop_counting_after_about_three_heartbeats(settings):
    """What a process that crashed leaves behind: presence recorded, never renewed nor closed."""
    settings.CHAT_PING_SECONDS = 0.2
    user = UserFactory()
    presence.connection_open(user_id=user.pk, channel_name="specific.dead-process!socket")
    assert presence.online_among([user.pk]) == {user.pk}

    deadline = time.monotonic() + 30
    while presence.online_among([user.pk]):
        assert time.monotonic() < deadline, "a dead process's user stays online"
        time.sleep(0.05)
    assert presence.connection_count(user.pk) == 0
    assert not state_redis().exists("chat:socket:specific.dead-process!socket")
