"""Who is connected (H4, H6): connection state in Redis, shared by every ASGI process.

Per user, a sorted set of their sockets' channel names scored by connection time, so the oldest
is known when a sixth opens; per socket, a key that its heartbeat renews. Both live
HEARTBEATS_PER_TTL heartbeats, so the users of a process that died without cleaning up stop
showing online within about that (90 s by default).
"""

from __future__ import annotations

import math
import time

from django.conf import settings

from core.redis import RedisError, state_redis


def _user_key(user_id: int) -> str:
    return f"chat:connections:{user_id}"


def _socket_key(channel_name: str) -> str:
    return f"chat:socket:{channel_name}"


# Two missed heartbeats (a busy process, a slow Redis) are tolerated; the third is not.
HEARTBEATS_PER_TTL = 3


def heartbeat_seconds() -> float:
    """How often each socket's heartbeat pings its client and renews its presence keys."""
    return min(settings.CHAT_PING_SECONDS, settings.CHAT_IDLE_SECONDS / 2)


def ttl_milliseconds() -> int:
    """How long presence keys live unless renewed (milliseconds: tests use short heartbeats)."""
    return max(1, math.ceil(HEARTBEATS_PER_TTL * heartbeat_seconds() * 1000))


def connection_open(*, user_id: int, channel_name: str) -> list[str]:
    """Record a new socket; returns the channel names of the user's oldest sockets past the limit
    (the caller closes them). Fails open (no limit) while Redis is down."""
    redis = state_redis()
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.set(_socket_key(channel_name), user_id, px=ttl_milliseconds())
        pipe.zadd(_user_key(user_id), {channel_name: time.time()})
        pipe.pexpire(_user_key(user_id), ttl_milliseconds())
        pipe.zrange(_user_key(user_id), 0, -1)
        *_, names = pipe.execute()
        alive = redis.mget([_socket_key(name) for name in names])
        gone = [name for name, value in zip(names, alive, strict=True) if value is None]
        if gone:
            redis.zrem(_user_key(user_id), *gone)
        live = [name for name in names if name not in gone]
        extra = len(live) - settings.CHAT_MAX_CONNECTIONS_PER_USER
        evicted = [name for name in live if name != channel_name][: max(0, extra)]
        if evicted:
            redis.zrem(_user_key(user_id), *evicted)
            redis.delete(*[_socket_key(name) for name in evicted])
        return evicted
    except RedisError:
        return []


def connection_touch(*, user_id: int, channel_name: str) -> None:
    try:
        pipe = state_redis().pipeline(transaction=False)
        pipe.pexpire(_socket_key(channel_name), ttl_milliseconds())
        pipe.pexpire(_user_key(user_id), ttl_milliseconds())
        pipe.execute()
    except RedisError:
        pass


def connection_close(*, user_id: int, channel_name: str) -> None:
    try:
        pipe = state_redis().pipeline(transaction=False)
        pipe.zrem(_user_key(user_id), channel_name)
        pipe.delete(_socket_key(channel_name))
        pipe.execute()
    except RedisError:
        pass


def connection_count(user_id: int) -> int:
    try:
        return int(state_redis().zcard(_user_key(user_id)))
    except RedisError:
        return 0


def online_among(user_ids: list[int]) -> set[int]:
    """Which of these users have a socket open on any process."""
    if not user_ids:
        return set()
    try:
        pipe = state_redis().pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcard(_user_key(user_id))
        return {uid for uid, count in zip(user_ids, pipe.execute(), strict=True) if count}
    except RedisError:
        return set()
