"""Cache-aside, keys, versions, write-through, stampedes, refresh-ahead (C1, C5-C7, C12)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from django_redis import get_redis_connection

from cachekit import cached, get_or_compute, metrics
from cachekit.core import ttl_seconds
from tests.cachekit.testapp.models import Article


def read_concurrently(readers: int, read) -> list:
    """Start ``readers`` threads at once (a barrier), each calling ``read()``; their results."""
    barrier = threading.Barrier(readers)
    results = []

    def reader():
        barrier.wait()
        results.append(read())

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_get_or_compute_stores_with_its_ttl():
    calls = []

    def compute():
        calls.append(1)
        return {"kospi": 2600.5}

    assert get_or_compute("snap", compute, namespace="market", ttl=5) == {"kospi": 2600.5}
    assert get_or_compute("snap", compute, namespace="market", ttl=5) == {"kospi": 2600.5}

    assert len(calls) == 1
    ttl_ms = get_redis_connection("default").pttl("ck:e:market:snap")
    assert 5_000 < ttl_ms <= 10_000  # the TTL, plus the stale-serving grace


def test_entries_expire_after_their_ttl():
    calls = []
    get_or_compute("k", lambda: calls.append(1) or len(calls), namespace="t", ttl=0.2)
    time.sleep(0.3)

    assert get_or_compute("k", lambda: calls.append(1) or len(calls), namespace="t", ttl=0.2) == 2


def test_ttl_names_come_from_the_settings_table(settings):
    assert ttl_seconds("stock_detail") == 60
    assert ttl_seconds("market_snapshot") == 5
    assert ttl_seconds("image_by_hash") == 30 * 24 * 3600
    settings.CACHE_TTLS = {**settings.CACHE_TTLS, "stock_detail": 7}
    assert ttl_seconds("stock_detail") == 7
    with pytest.raises(KeyError, match="no TTL named"):
        ttl_seconds("nonsense")


def test_unknown_ttl_name_fails_at_decoration():
    with pytest.raises(KeyError):
        cached(namespace="t", ttl="nonsense")(lambda: 1)


def test_keys_are_by_qualified_name_arguments_and_version():
    calls = []

    @cached(namespace="t", ttl=60)
    def double(x: int, factor: int = 2) -> int:
        calls.append(x)
        return x * factor

    @cached(namespace="t", ttl=60, version=2)
    def double_v2(x: int, factor: int = 2) -> int:
        return -x

    assert double(3) == 6
    assert double(x=3) == 6
    assert double(3, factor=2) == 6
    assert double(4) == 8
    assert calls == [3, 4]
    assert double.key(3) != double_v2.key(3)
    assert double.key(3).startswith("v1:tests.cachekit.test_core.")


def test_arguments_that_are_not_plain_values_are_refused():
    @cached(namespace="t", ttl=60)
    def describe(thing: object) -> str:
        return str(thing)

    with pytest.raises(TypeError, match="must be JSON values"):
        describe(object())


def test_methods_are_cached_by_their_arguments_not_their_instance():
    class Selector:
        calls = 0

        @cached(namespace="t", ttl=60)
        def total(self, a: int, b: int) -> int:
            Selector.calls += 1
            return a + b

    assert Selector().total(1, 2) == 3
    assert Selector().total(1, 2) == 3
    assert Selector.calls == 1


@pytest.mark.django_db(transaction=True)
def test_write_through_primes_the_new_value_after_commit():
    from tests.cachekit.testapp.selectors import CALLS, article_title

    article = Article.objects.create(slug="a", title="old")
    article_title("a")

    with transaction.atomic():
        article.title = "new"
        article.save()
        transaction.on_commit(lambda: article_title.prime("a", value="new"))

    assert article_title("a") == "new"
    assert CALLS["article_title"] == 1  # served from the primed entry, not recomputed


def test_many_threads_on_a_cold_key_compute_once():
    computations = []

    def slow_compute():
        computations.append(1)
        time.sleep(0.3)
        return "value"

    results = read_concurrently(
        20, lambda: get_or_compute("cold", slow_compute, namespace="t", ttl=60)
    )

    assert len(computations) == 1
    assert results == ["value"] * 20


def test_fill_lock_always_carries_an_expiry():
    seen_ttl = []

    def compute():
        seen_ttl.append(get_redis_connection("default").pttl("ck:l:fill:t:locked"))
        return 1

    get_or_compute("locked", compute, namespace="t", ttl=60)

    assert 0 < seen_ttl[0] <= 10_000


def test_expired_hot_key_serves_stale_while_one_caller_recomputes():
    get_or_compute("hot", lambda: "v1", namespace="t", ttl=1.0)
    time.sleep(1.1)  # expired, still within the stale-serving grace (until 2.0 s)
    computations = []

    def slow_compute():
        computations.append(1)
        time.sleep(0.3)
        return "v2"

    results = read_concurrently(
        10, lambda: get_or_compute("hot", slow_compute, namespace="t", ttl=1.0)
    )

    assert len(computations) == 1
    assert results.count("v2") == 1
    assert results.count("v1") == 9  # the others did not wait


def test_refresh_ahead_runs_once_under_concurrent_readers():
    computations = []

    def compute():
        computations.append(time.monotonic())
        if len(computations) > 1:
            time.sleep(0.5)  # the refresh is slow: readers must not be waiting for it
        return len(computations)

    assert get_or_compute("warm", compute, namespace="t", ttl=3.0) == 1
    time.sleep(2.5)  # under 20 % of the TTL left, with margin for a loaded machine

    results = read_concurrently(12, lambda: get_or_compute("warm", compute, namespace="t", ttl=3.0))

    assert results == [1] * 12  # nobody waited for the refresh
    deadline = time.monotonic() + 2
    while len(computations) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.8)  # the slow refresh stores its value
    assert len(computations) == 2  # exactly one background refresh
    assert get_or_compute("warm", compute, namespace="t", ttl=3.0) == 2
    metrics.flush()
    assert metrics.stats()["t"]["refreshes"] == 1


def test_waiters_take_the_winners_value_even_if_its_short_ttl_passed_meanwhile(settings):
    """On a busy machine a waiter may look only after a short TTL has run out: the value was still
    computed for it, so it takes that rather than computing again."""
    settings.CACHEKIT_POLL_MS = 150  # waiters look late
    computations = []

    def slow_compute():
        computations.append(1)
        time.sleep(0.1)
        return "fresh"

    results = read_concurrently(
        8, lambda: get_or_compute("short", slow_compute, namespace="t", ttl=0.05)
    )

    assert len(computations) == 1
    assert results == ["fresh"] * 8


def test_a_winner_that_finds_the_value_already_stored_releases_its_lock():
    """Regression: the double-checked path returned early and left the fill lock held for its
    whole expiry, so the next miss made every caller wait and compute."""
    from cachekit import core

    get_or_compute("k2", lambda: "stored", namespace="t", ttl=60)
    tags = ["ns:t"]

    # a caller that saw a miss just before the value was stored, and now wins the lock
    value = core._compute_once("t:k2", "t", tags, 60.0, lambda: "computed", None)

    assert value == "stored"
    assert not get_redis_connection("default").exists("ck:l:fill:t:k2")
