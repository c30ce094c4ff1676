"""Hit-rate metrics per namespace (C10), shared by every process through Redis.

Counting in Redis on every read would double the round trips, so each process counts in memory
and adds its counts to Redis at most once per CACHEKIT_METRICS_FLUSH_SECONDS.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

from django.conf import settings

from cachekit import store

KINDS = ("hits", "misses", "stale_hits", "refreshes", "invalidations")
_NAMESPACES_KEY = f"{store.PREFIX}:namespaces"


def _stats_key(namespace: str) -> str:
    return f"{store.PREFIX}:s:{namespace}"


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: defaultdict[str, Counter] = defaultdict(Counter)
        self._last_flush = time.monotonic()

    def count(self, namespace: str, kind: str) -> None:
        with self._lock:
            self._pending[namespace][kind] += 1
            is_due = time.monotonic() - self._last_flush >= settings.CACHEKIT_METRICS_FLUSH_SECONDS
        if is_due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(Counter)
            self._last_flush = time.monotonic()
        if not pending:
            return
        try:
            with store.guarded:
                pipe = store._client().pipeline(transaction=False)
                for namespace, counts in pending.items():
                    pipe.sadd(_NAMESPACES_KEY, namespace)
                    for kind, amount in counts.items():
                        pipe.hincrby(_stats_key(namespace), kind, amount)
                pipe.execute()
        except store.RedisUnavailable:
            pass  # metrics are best effort; the outage itself is logged by the store


counters = _Counters()


def count(namespace: str, kind: str) -> None:
    counters.count(namespace, kind)


def flush() -> None:
    counters.flush()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def known_namespaces() -> set[str]:
    """Namespaces that have been used by any process (for `cache clear` of all of them)."""
    with store.guarded:
        return {_text(n) for n in store._client().smembers(_NAMESPACES_KEY)}


def stats() -> dict[str, dict[str, int]]:
    """Counts per namespace, with `hit_rate` (hits, stale hits included, over all reads)."""
    flush()
    table: dict[str, dict[str, int]] = {}
    with store.guarded:
        client = store._client()
        namespaces = sorted(_text(n) for n in client.smembers(_NAMESPACES_KEY))
        pipe = client.pipeline(transaction=False)
        for namespace in namespaces:
            pipe.hgetall(_stats_key(namespace))
        rows = pipe.execute()
    for namespace, row in zip(namespaces, rows, strict=True):
        counts = {kind: 0 for kind in KINDS}
        for kind, amount in row.items():
            counts[_text(kind)] = int(amount)
        table[namespace] = counts
    return table


def hit_rate(counts: dict[str, int]) -> float | None:
    served = counts["hits"] + counts["stale_hits"]
    reads = served + counts["misses"]
    return served / reads if reads else None


def reset(namespace: str | None = None) -> None:
    names = sorted(known_namespaces()) if namespace is None else [namespace]
    if names:
        with store.guarded:
            store._client().delete(*[_stats_key(n) for n in names])
