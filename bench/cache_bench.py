"""The cache toolkit measured on a realistic model query (run by bench/cache.py in a subprocess).

    python -m bench.cache_bench up     # Redis up: latency, Zipf hit rate, stampede
    python -m bench.cache_bench down   # REDIS_CACHE_URL points at a closed port: Redis "stopped"

Prints one JSON object.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import threading
import time

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.models import User  # noqa: E402
from cachekit import Row, cached, metrics  # noqa: E402
from cachekit.core import clear_namespaces  # noqa: E402

USERS = 1000
random.seed(11)


def profile(user_id: int) -> dict:
    """A realistic read: one user with their groups and how many members each group has."""
    user = User.objects.only("id", "username", "email", "last_login").get(pk=user_id)
    groups = list(
        Group.objects.filter(user=user_id).annotate(members=Count("user")).values("name", "members")
    )
    return {"id": user.pk, "username": user.username, "email": user.email, "groups": groups}


cached_profile = cached(
    namespace="bench", ttl=300, depends_on=lambda user_id: [Row(User, pk=user_id)]
)(profile)


def seed() -> list[int]:
    if User.objects.filter(username__startswith="bench-").count() < USERS:
        User.objects.filter(username__startswith="bench-").delete()
        groups = [Group.objects.get_or_create(name=f"bench-group-{i}")[0] for i in range(20)]
        users = User.objects.bulk_create(
            User(username=f"bench-{i}", email=f"bench{i}@example.com") for i in range(USERS)
        )
        through = User.groups.through
        through.objects.bulk_create(
            through(user_id=u.pk, group_id=g.pk) for u in users for g in random.sample(groups, 3)
        )
    return list(
        User.objects.filter(username__startswith="bench-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def timed_reads(function, ids: list[int]) -> list[float]:
    samples = []
    for user_id in ids:
        started = time.perf_counter()
        function(user_id)
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_us": statistics.median(ordered),
        "p95_us": ordered[int(0.95 * len(ordered))],
    }


def zipf_choices(ids: list[int], count: int, s: float = 1.1) -> list[int]:
    weights = [1 / (rank**s) for rank in range(1, len(ids) + 1)]
    return random.choices(ids, weights=weights, k=count)


def _zipf_traffic(picks: list[int]) -> tuple[int, int]:
    reads = writes = 0
    for i, user_id in enumerate(picks, start=1):
        if i % 51 == 0:  # one write per 50 reads, on a Zipf-chosen (so often hot) row
            user = User.objects.get(pk=user_id)
            user.last_login = None
            user.save(update_fields=["last_login"])
            writes += 1
        else:
            cached_profile(user_id)
            reads += 1
    return reads, writes


def hit_rate_under_zipf(ids: list[int]) -> dict:
    """From a cold cache: the first 20,000 operations, then 20,000 more in steady state."""
    clear_namespaces(["bench"])
    result = {}
    for phase in ("cold_start", "steady_state"):
        metrics.flush()
        metrics.reset("bench")
        reads, writes = _zipf_traffic(zipf_choices(ids, 20_000))
        counts = metrics.stats()["bench"]
        result[phase] = {
            "reads": reads,
            "writes": writes,
            "hit_rate": metrics.hit_rate(counts),
            **counts,
        }
    return result


def stampede(ids: list[int], *, expired: bool) -> dict:
    """200 concurrent readers on one hot key that has just expired (or been invalidated)."""
    computations = []
    hot = ids[0]

    @cached(namespace="bench", ttl=0.5, depends_on=lambda user_id: [Row(User, pk=user_id)])
    def slow_profile(user_id: int) -> dict:
        computations.append(1)
        value = profile(user_id)
        time.sleep(0.05)  # an expensive computation
        return value

    slow_profile(hot)
    if expired:
        time.sleep(0.6)
    else:
        user = User.objects.get(pk=hot)
        user.save(update_fields=["email"])  # invalidates; readers must not get the old value
    computations.clear()
    barrier = threading.Barrier(200)
    latencies = []

    def reader() -> None:
        barrier.wait()
        started = time.perf_counter()
        slow_profile(hot)
        latencies.append((time.perf_counter() - started) * 1000)
        connections.close_all()

    threads = [threading.Thread(target=reader) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"computations": len(computations), "max_ms": max(latencies)}


def main(mode: str) -> None:
    ids = seed()
    sample = random.sample(ids, 500)
    timed_reads(profile, sample)  # warm PostgreSQL's buffers and the connection first
    uncached = summary(timed_reads(profile, sample))
    if mode == "down":
        # Interleaved, so that drift of the machine or the database hits both sides alike.
        plain, through_cache = [], []
        for user_id in sample:
            plain += timed_reads(profile, [user_id])
            through_cache += timed_reads(cached_profile, [user_id])
        result = {"uncached": summary(plain), "cached": summary(through_cache)}
    else:
        clear_namespaces(["bench"])
        timed_reads(cached_profile, sample)  # warm
        result = {
            "uncached": uncached,
            "cached": summary(timed_reads(cached_profile, sample)),
            "zipf": hit_rate_under_zipf(ids),
            "stampede_expired": stampede(ids, expired=True),
            "stampede_invalidated": stampede(ids, expired=False),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
