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
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_redis import get_redis_connection
from redis import Redis
from redis.exceptions import RedisError

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

    The pause doubles on each consecutive failure (reconnect back-off), up to a ceiling.
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
    entry = pickle.loads(raw) if raw is not None else None  # noqa: S301 - written by us only
    return entry, current


def tag_versions(tags: list[str]) -> tuple[int, ...]:
    with guarded:
        versions = _client().mget([tag_key(tag) for tag in tags])
    return tuple(int(v) if v is not None else 0 for v in versions)


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
    # A tag version must outlive every entry that recorded it, or its reset to 0 could make an
    # old entry look current again.
    ttl = settings.CACHEKIT_TAG_TTL_SECONDS
    with guarded:
        pipe = _client().pipeline(transaction=False)
        for tag in tags:
            pipe.incr(tag_key(tag))
            pipe.expire(tag_key(tag), ttl)
        pipe.execute()


def acquire(lock_name: str, *, ttl_ms: int) -> bool:
    """A lock that always expires: a crashed holder can block others for ``ttl_ms`` at most."""
    with guarded:
        return bool(_client().set(f"{PREFIX}:l:{lock_name}", "1", nx=True, px=ttl_ms))


def release(lock_name: str) -> None:
    with guarded:
        _client().delete(f"{PREFIX}:l:{lock_name}")
