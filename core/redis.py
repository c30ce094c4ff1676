"""The Redis connection for application state: refresh tokens, rate limits, presence.

State lives in its own logical database (REDIS_STATE_URL), apart from the cache, so clearing or
evicting the cache never logs anyone out.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings
from django.core.signals import setting_changed
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

RedisError = redis.RedisError


@functools.cache
def state_redis() -> redis.Redis:
    """Return the shared client (thread-safe; it holds a connection pool)."""
    return redis.Redis.from_url(
        settings.REDIS_STATE_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1),
        retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        health_check_interval=30,
        decode_responses=True,
    )


def _drop_cached_client(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("REDIS_"):
        state_redis.cache_clear()


setting_changed.connect(_drop_cached_client)


# Delete a lock only if it still holds our token: after its expiry it may be someone else's.
_RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def release_owned_lock(client: redis.Redis, key: str, token: str) -> None:
    """Release ``key`` on ``client`` if ``token`` still owns it (raises RedisError)."""
    client.eval(_RELEASE_IF_OWNER, 1, key, token)
