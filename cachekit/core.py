"""Cache-aside with stampede protection, refresh-ahead and write-through (C1, C5, C6, C7, C12).

Reads are one Redis round trip (the entry and its tags' versions). On a miss one caller computes
(a lock that always expires) while the others are served the expired-but-valid value if there is
one, or wait briefly for the winner. A hit in the last CACHEKIT_REFRESH_AHEAD_FRACTION of its TTL
starts one background refresh (a lock shared by every process) and still returns at once. When
Redis is down every call simply computes its value.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import functools
import hashlib
import inspect
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections

from cachekit import metrics, store
from cachekit.dependencies import Dependency, namespace_tag, tags_of

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Every namespace used in code, so `cache clear` can reach all of them without scanning keys.
NAMESPACES: set[str] = set()


def ttl_seconds(ttl: str | float) -> float:
    """A TTL is a number of seconds or a name in the CACHE_TTLS settings table (C8)."""
    if isinstance(ttl, str):
        try:
            return float(settings.CACHE_TTLS[ttl])
        except KeyError:
            raise KeyError(f"no TTL named {ttl!r} in settings.CACHE_TTLS") from None
    return float(ttl)


# --- invalidation that could not reach Redis -------------------------------------------------

_missed_tags: set[str] = set()
_missed_tags_lock = threading.Lock()


def invalidate_tags(tags: list[str]) -> None:
    """Bump ``tags``; if Redis cannot be reached, retry exactly these once it can.

    The retry lives in this process's memory: another process may serve an entry the missed
    bump should have dropped until this process next reaches Redis, or the entry's TTL ends.
    """
    try:
        store.bump(tags)
    except store.RedisUnavailable:
        with _missed_tags_lock:
            _missed_tags.update(tags)


def _retry_missed_invalidations() -> None:
    if not _missed_tags:
        return
    with _missed_tags_lock:
        tags = sorted(_missed_tags)
        _missed_tags.clear()  # cleared first: a miss recorded meanwhile is kept for next time
    try:
        store.bump(tags)
    except store.RedisUnavailable:
        with _missed_tags_lock:
            _missed_tags.update(tags)
        raise
    logger.warning("cache: %d invalidations missed while Redis was down are now done", len(tags))


def clear_namespaces(namespaces: Iterable[str]) -> int:
    """Make every entry of ``namespaces`` unreachable: one version bump each, nothing scanned."""
    names = sorted(set(namespaces))
    store.bump([namespace_tag(name) for name in names])
    return len(names)


def all_namespaces() -> set[str]:
    return NAMESPACES | metrics.known_namespaces()


def has_pending_invalidations() -> bool:
    """Whether the open transaction has written cache-tracked rows it has not committed yet.

    A value computed now may include those uncommitted writes (or be undone by a rollback that
    invalidates nothing), so it is returned but not stored.
    """
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block and any(
            getattr(callback, "is_cache_invalidation", False)
            for _sids, callback, _robust in connection.run_on_commit
        ):
            return True
    return False


# --- background refreshes ---------------------------------------------------------------------

_refresh_pool: ThreadPoolExecutor | None = None
_refresh_pool_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _refresh_pool
    with _refresh_pool_lock:
        if _refresh_pool is None:
            _refresh_pool = ThreadPoolExecutor(
                max_workers=settings.CACHEKIT_REFRESH_WORKERS, thread_name_prefix="cache-refresh"
            )
        return _refresh_pool


_refresh_pending_until: dict[str, float] = {}


def _refresh(key: str, tags: list[str], ttl: float, compute: Callable[[], Any], token: str) -> None:
    try:
        versions = store.tag_versions(tags)  # before computing: no stale fill
        value = compute()
        store.write(key, store.Entry(value, versions, time.time(), ttl))
        # The lock stays until the old entry would have expired: a reader that saw the old entry
        # just before this write must not start a second refresh.
    except store.RedisUnavailable:
        pass
    except Exception:
        logger.exception("cache: background refresh of %s failed", key)
        with contextlib.suppress(store.RedisUnavailable):
            store.release(f"refresh:{key}", token)  # let a later reader try again
    finally:
        # This thread's database connections must go back to the pool.
        connections.close_all()


def _maybe_refresh_ahead(
    key: str,
    namespace: str,
    tags: list[str],
    ttl: float,
    entry: store.Entry,
    compute: Callable[[], Any],
    now: float,
) -> None:
    if entry.remaining_fraction(now) >= settings.CACHEKIT_REFRESH_AHEAD_FRACTION:
        return
    # Once this process has seen the lock taken, it does not ask Redis again for this entry.
    if _refresh_pending_until.get(key, 0.0) > now:
        return
    remaining_seconds = entry.ttl_seconds * entry.remaining_fraction(now)
    _refresh_pending_until[key] = now + remaining_seconds
    with contextlib.suppress(store.RedisUnavailable):
        token = store.acquire(f"refresh:{key}", ttl_ms=max(int(remaining_seconds * 1000), 1000))
        if token is not None:
            metrics.count(namespace, "refreshes")
            _pool().submit(_refresh, key, tags, ttl, compute, token)
    if len(_refresh_pending_until) > 10_000:  # bounded: drop the memo of long-gone entries
        _refresh_pending_until.clear()


# --- the read path ----------------------------------------------------------------------------


def get_or_compute(
    key: str,
    compute: Callable[[], R],
    *,
    namespace: str,
    ttl: str | float,
    depends_on: Iterable[Dependency] = (),
    refresh_ahead: bool = True,
) -> R:
    """Return the cached value under ``namespace``/``key``, computing and storing it on a miss.

    ``compute`` runs at most once per miss across all processes (others wait or get the stale
    value); with ``refresh_ahead`` a hit near its expiry is recomputed in the background.
    """
    NAMESPACES.add(namespace)
    if not settings.CACHEKIT_ENABLED:
        return compute()
    ttl = ttl_seconds(ttl)
    full_key = f"{namespace}:{key}"
    tags = [namespace_tag(namespace), *tags_of(depends_on)]
    try:
        _retry_missed_invalidations()
        entry, versions = store.read(full_key, tags)
    except store.RedisUnavailable:
        metrics.count(namespace, "misses")
        return compute()
    now = time.time()
    stale = None
    if entry is not None and entry.tag_versions == versions:
        if not entry.is_expired(now):
            metrics.count(namespace, "hits")
            if refresh_ahead:
                _maybe_refresh_ahead(full_key, namespace, tags, ttl, entry, compute, now)
            return entry.value
        stale = entry  # valid, only past its TTL: may be served while it is recomputed
    elif entry is not None:
        metrics.count(namespace, "invalidations")
    metrics.count(namespace, "misses")
    return _compute_once(full_key, namespace, tags, ttl, compute, stale)


def _is_fresh(entry: store.Entry | None, versions: tuple[int, ...]) -> bool:
    return (
        entry is not None and entry.tag_versions == versions and not entry.is_expired(time.time())
    )


def _compute_as_winner(key: str, tags: list[str], ttl: float, compute: Callable[[], R]) -> R:
    try:
        # Double-checked: a caller that read before the previous winner stored its value may win
        # the lock just after; it must take that value, not compute again.
        entry, current = store.read(key, tags)
        if _is_fresh(entry, current):
            return entry.value
        versions = store.tag_versions(tags)  # read before computing: no stale fill
    except store.RedisUnavailable:
        return compute()
    value = compute()
    with contextlib.suppress(store.RedisUnavailable):
        store.write(key, store.Entry(value, versions, time.time(), ttl))
    return value


def _compute_once(
    key: str,
    namespace: str,
    tags: list[str],
    ttl: float,
    compute: Callable[[], R],
    stale: store.Entry | None,
) -> R:
    if has_pending_invalidations():
        return compute()
    lock = f"fill:{key}"
    try:
        token = store.acquire(lock, ttl_ms=settings.CACHEKIT_LOCK_TIMEOUT_MS)
    except store.RedisUnavailable:
        return compute()
    if token is not None:
        try:
            return _compute_as_winner(key, tags, ttl, compute)
        finally:
            with contextlib.suppress(store.RedisUnavailable):
                store.release(lock, token)
    if stale is not None:
        metrics.count(namespace, "stale_hits")
        return stale.value
    waiting_since = time.time()
    deadline = time.monotonic() + settings.CACHEKIT_WAIT_MS / 1000
    while time.monotonic() < deadline:
        time.sleep(settings.CACHEKIT_POLL_MS / 1000)
        try:
            entry, current = store.read(key, tags)
        except store.RedisUnavailable:
            break
        # The winner's value, even if a busy machine let its short TTL pass before we looked.
        if _is_fresh(entry, current) or (
            entry is not None
            and entry.tag_versions == current
            and entry.created_at >= waiting_since
        ):
            return entry.value
    # The winner is slow or gone: answer anyway rather than fail the request.
    return compute()


# --- the decorator ----------------------------------------------------------------------------


def _canonical_arguments(signature: inspect.Signature, args: tuple, kwargs: dict) -> dict:
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    # Methods are keyed by their arguments, not by the object they are called on.
    for first in ("self", "cls"):
        arguments.pop(first, None)
    return arguments


def _plain_value(value: Any) -> str:
    # Values with one obvious text form; anything else (a model instance, say) could make two
    # different arguments share a key, so it is refused.
    if isinstance(value, datetime.date | datetime.time | decimal.Decimal | uuid.UUID):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    raise TypeError(
        f"cache key arguments must be JSON values (ids, codes, dates), not {type(value).__name__}"
    )


def _digest(arguments: dict) -> str:
    encoded = json.dumps(arguments, sort_keys=True, default=_plain_value, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


class CachedFunction:
    """A function whose results are cached by qualified name, version and arguments (C5)."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        namespace: str,
        ttl: str | float,
        depends_on: Callable[..., Iterable[Dependency]] | Iterable[Dependency],
        version: int,
        refresh_ahead: bool,
    ) -> None:
        self.function = function
        self.namespace = namespace
        self.ttl = ttl
        self.version = version
        self.refresh_ahead = refresh_ahead
        self._depends_on = depends_on
        self._signature = inspect.signature(function)
        self.name = f"v{version}:{function.__module__}.{function.__qualname__}"
        NAMESPACES.add(namespace)
        ttl_seconds(ttl)  # an unknown TTL name fails at import, not at the first call
        functools.update_wrapper(self, function)

    def _dependencies(self, arguments: dict) -> list[Dependency]:
        if callable(self._depends_on):
            return list(self._depends_on(**arguments))
        return list(self._depends_on)

    def key(self, *args: Any, **kwargs: Any) -> str:
        arguments = _canonical_arguments(self._signature, args, kwargs)
        return f"{self.name}:{_digest(arguments)}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arguments = _canonical_arguments(self._signature, args, kwargs)
        return get_or_compute(
            f"{self.name}:{_digest(arguments)}",
            lambda: self.function(*args, **kwargs),
            namespace=self.namespace,
            ttl=self.ttl,
            depends_on=self._dependencies(arguments),
            refresh_ahead=self.refresh_ahead,
        )

    def __get__(self, instance: object, owner: type) -> Callable[..., Any]:
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def prime(self, *args: Any, value: Any, **kwargs: Any) -> None:
        """Write-through (C6): store ``value`` as the result for these arguments.

        Call it after the write has committed (`transaction.on_commit`), so that it runs after
        the write's own invalidation and records the versions that follow it. Only for rows with
        one writer at a time (a single collector job, or `select_for_update`): on-commit hooks
        of two concurrent writers may run in the opposite order to their commits, and then the
        older value would be primed last.
        """
        arguments = _canonical_arguments(self._signature, args, kwargs)
        tags = [namespace_tag(self.namespace), *tags_of(self._dependencies(arguments))]
        with contextlib.suppress(store.RedisUnavailable):
            versions = store.tag_versions(tags)
            store.write(
                f"{self.namespace}:{self.name}:{_digest(arguments)}",
                store.Entry(value, versions, time.time(), ttl_seconds(self.ttl)),
            )


def cached(
    *,
    namespace: str,
    ttl: str | float,
    depends_on: Callable[..., Iterable[Dependency]] | Iterable[Dependency] = (),
    version: int = 1,
    refresh_ahead: bool = True,
) -> Callable[[Callable[P, R]], CachedFunction]:
    """Cache a function's results by qualified name and arguments.

    ``depends_on`` is a list of dependencies, or a callable that receives the function's
    arguments by name and returns them. Bump ``version`` when the cached shape changes.
    Arguments must be JSON-serialisable (they form the key; ids and codes, not objects).
    """

    def decorate(function: Callable[P, R]) -> CachedFunction:
        return CachedFunction(
            function,
            namespace=namespace,
            ttl=ttl,
            depends_on=depends_on,
            version=version,
            refresh_ahead=refresh_ahead,
        )

    return decorate


__all__ = ["CachedFunction", "cached", "clear_namespaces", "get_or_compute", "ttl_seconds"]
