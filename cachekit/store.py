"""The Redis side of the cache toolkit: entries, tag versions, locks, and a circuit breaker.

Invalidation is by tag versions. Every cached entry records the version of each tag it depends on
(a row, a whole model, its namespace) as read *before* its value was computed; a write bumps the
versions of its tags (one INCR each, no scan). An entry whose recorded versions differ from the
current ones is stale and never served as fresh. Because the versions are read before the value
is computed, a value computed from data that a concurrent write then changes is stored with the
old versions and is stale on arrival: there is no stale fill.
"""

from __future__ import annotations

import logging
import pickle
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_redis import get_redis_connection
from redis import Redis
from redis.exceptions import RedisError

from core.redis import release_owned_lock

logger = logging.getLogger("insightstock.redis")

PREFIX = "ck"


def entry_key(name: str) -> str:
    return f"{PREFIX}:e:{name}"


def tag_key(tag: str) -> str:
    return f"{PREFIX}:t:{tag}"


@dataclass(frozen=True)
class Entry:
    """One cached value and what it was computed against."""

    value: Any
    tag_versions: tuple[int, ...]
    created_at: float
    ttl_seconds: float

    def age_seconds(self, now: float) -> float:
        return now - self.created_at

    def is_expired(self, now: float) -> bool:
        return self.age_seconds(now) >= self.ttl_seconds

    def remaining_fraction(self, now: float) -> float:
        return max(0.0, 1.0 - self.age_seconds(now) / self.ttl_seconds)


class RedisUnavailable(Exception):
    """Redis is down, or was recently: callers compute without the cache."""


class _CircuitBreaker:
    """After a Redis failure, skip Redis for a while instead of paying a timeout per call.

    The pause doubles on each consecutive failed trial (reconnect back-off), up to a ceiling.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._pause_seconds = 0.0

    def check(self) -> None:
        if time.monotonic() < self._open_until:
            raise RedisUnavailable

    def failed(self, error: Exception) -> None:
        with self._lock:
            if time.monotonic() < self._open_until:
                # Another call, in flight when Redis went, failing too: not a failed trial. Under
                # load, doubling on each would reach the ceiling in one burst and keep the cache
                # bypassed that long after Redis is back.
                return
            base = settings.CACHEKIT_BREAKER_BASE_SECONDS
            self._pause_seconds = min(
                max(base, self._pause_seconds * 2), settings.CACHEKIT_BREAKER_MAX_SECONDS
            )
            self._open_until = time.monotonic() + self._pause_seconds
        logger.warning("cache toolkit falling back to the database", exc_info=error)

    def succeeded(self) -> None:
        if self._pause_seconds:
            with self._lock:
                self._pause_seconds = 0.0

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self._pause_seconds = 0.0


breaker = _CircuitBreaker()


def _client() -> Redis:
    return get_redis_connection("default")


class _Guarded:
    """Run a Redis operation through the breaker: RedisError becomes RedisUnavailable."""

    def __enter__(self) -> None:
        breaker.check()

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None:
            breaker.succeeded()
            return False
        if isinstance(exc, RedisError):
            breaker.failed(exc)
            raise RedisUnavailable from exc
        return False


guarded = _Guarded()


def read(key: str, tags: list[str]) -> tuple[Entry | None, tuple[int, ...]]:
    """One round trip: the entry under ``key`` and the current versions of ``tags``."""
    with guarded:
        pipe = _client().pipeline(transaction=False)
        pipe.get(entry_key(key))
        pipe.mget([tag_key(tag) for tag in tags])
        raw, versions = pipe.execute()
    current = tuple(int(v) if v is not None else 0 for v in versions)
    return _unpickle(raw, key), current


def _unpickle(raw: bytes | None, key: str) -> Entry | None:
    if raw is None:
        return None
    try:
        return pickle.loads(raw)  # noqa: S301 - written by us only, to a password-protected Redis
    except Exception:  # noqa: BLE001 - a renamed class or a corrupt value is a miss, not a 500
        logger.warning("cache entry %s could not be read back; recomputing", key, exc_info=True)
        return None


# Tag versions come from one ever-increasing clock, so a version never repeats: a tag that
# expired or was evicted reads 0, which no entry recorded (absent tags are given a clock value
# before an entry records them), so it can only cause a miss, never a stale hit.
CLOCK_KEY = f"{PREFIX}:clock"

_ENSURE_SCRIPT = """
local out = {}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if not v then
    v = redis.call('INCR', KEYS[1])
    redis.call('SET', KEYS[i], v, 'EX', ARGV[1])
  end
  out[i - 1] = v
end
return out
"""

_BUMP_SCRIPT = """
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], redis.call('INCR', KEYS[1]), 'EX', ARGV[1])
end
return #KEYS - 1
"""


def tag_versions(tags: list[str]) -> tuple[int, ...]:
    """Current versions of ``tags``, giving absent ones a fresh clock value first.

    Called before a value is computed: the versions an entry records are never 0.
    """
    with guarded:
        versions = _client().eval(
            _ENSURE_SCRIPT,
            len(tags) + 1,
            CLOCK_KEY,
            *[tag_key(tag) for tag in tags],
            settings.CACHEKIT_TAG_TTL_SECONDS,
        )
    return tuple(int(v) for v in versions)


def write(key: str, entry: Entry) -> None:
    """Store ``entry``. Redis keeps it past its TTL for a grace period in which it may be served
    stale to readers that would otherwise wait for its recomputation."""
    physical_ttl = entry.ttl_seconds * (1 + settings.CACHEKIT_STALE_GRACE_FRACTION)
    with guarded:
        _client().set(entry_key(key), pickle.dumps(entry), px=max(1, int(physical_ttl * 1000)))


def bump(tags: list[str]) -> None:
    """Invalidate every entry that depends on any of ``tags``: one INCR per tag."""
    if not tags:
        return
    with guarded:
        _client().eval(
            _BUMP_SCRIPT,
            len(tags) + 1,
            CLOCK_KEY,
            *[tag_key(tag) for tag in tags],
            settings.CACHEKIT_TAG_TTL_SECONDS,
        )


def acquire(lock_name: str, *, ttl_ms: int) -> str | None:
    """A lock that always expires: a crashed holder can block others for ``ttl_ms`` at most.

    Returns the holder's token, or None when someone else holds it.
    """
    token = secrets.token_hex(8)
    with guarded:
        is_held = _client().set(f"{PREFIX}:l:{lock_name}", token, nx=True, px=ttl_ms)
    return token if is_held else None


def release(lock_name: str, token: str) -> None:
    """Release only our own lock: after an expiry it may be someone else's."""
    with guarded:
        release_owned_lock(_client(), f"{PREFIX}:l:{lock_name}", token)
