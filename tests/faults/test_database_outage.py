"""Fault (c): no free database connection (an exhausted pool, a database that is down) is a clear
503 with Retry-After, JSON under /api/ and a short page otherwise, never a 500 or a hang; the site
recovers by itself when connections free up.

The site runs as a real uvicorn process with a pool of two connections and a one-second pool
timeout. The test exhausts that pool for real: it locks the users table, so two requests that read
it keep their pooled connections while they wait; a third request finds no free connection.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import psycopg
import pytest
from django.test import Client

from accounts.services import token_pair_issue
from tests.faults.conftest import test_database_url

pytestmark = pytest.mark.django_db(transaction=True)  # the site process must see committed rows

ME = "/api/v1/auth/me/"
PAGE = "/portfolio/"  # signed-in page: the session and its user are read from the database


def _waiting_on_lock(holder: psycopg.Connection, count: int, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        (waiting,) = holder.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting >= count:
            return
        assert time.monotonic() < deadline, f"only {waiting} requests hold a connection"
        time.sleep(0.05)


def _assert_unavailable(response: httpx.Response, *, api: bool) -> None:
    assert response.status_code == 503, response.text[:500]
    assert int(response.headers["Retry-After"]) > 0
    if api:
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["detail"]
        assert response.json()["code"] == "service_unavailable"
    else:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "temporarily unavailable" in response.text


def test_an_exhausted_pool_answers_503_and_recovers_when_connections_free_up(user, site_process):
    bearer = {"Authorization": f"Bearer {token_pair_issue(user=user).access}",
              "Accept-Language": "en"}  # fmt: skip
    browser = Client()
    browser.force_login(user)
    cookies = {"sessionid": browser.cookies["sessionid"].value}
    server = site_process(DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="2", DB_POOL_TIMEOUT="1")
    http = httpx.Client(base_url=server.base, timeout=60)
    pages = httpx.Client(base_url=server.base, timeout=60, cookies=cookies)
    assert http.get(ME, headers=bearer).status_code == 200
    assert pages.get(PAGE).status_code == 200

    held: list[httpx.Response] = []
    with psycopg.connect(test_database_url()) as holder:
        holder.execute("LOCK TABLE accounts_user IN ACCESS EXCLUSIVE MODE")
        blocked = [
            threading.Thread(target=lambda: held.append(http.get(ME, headers=bearer)))
            for _ in range(2)
        ]
        for thread in blocked:
            thread.start()
        _waiting_on_lock(holder, 2)  # both pooled connections are now taken

        _assert_unavailable(http.get(ME, headers=bearer), api=True)
        _assert_unavailable(pages.get(PAGE), api=False)
        # the API with a session: its user is read by the rate limit's middleware, before a view
        _assert_unavailable(pages.get(ME), api=True)
        holder.rollback()  # the lock goes: the held requests finish, their connections return

    for thread in blocked:
        thread.join(60)
    assert [r.status_code for r in held] == [200, 200]  # slow, not failed
    assert http.get(ME, headers=bearer).status_code == 200  # recovered, no restart
    assert pages.get(PAGE).status_code == 200


def test_a_database_that_is_down_answers_503(site_process):
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = site_process(
        DATABASE_URL=f"postgres://nobody:nothing@127.0.0.1:{port}/nowhere",
        DB_POOL_MAX_SIZE="0",  # without a pool, each request connects: refused at once
    )
    http = httpx.Client(base_url=server.base, timeout=60)

    pages = httpx.Client(base_url=server.base, timeout=60, cookies={"sessionid": "x" * 32})
    _assert_unavailable(pages.get(PAGE), api=False)
    _assert_unavailable(http.get("/api/v1/stocks/"), api=True)
    assert http.get("/healthz").status_code == 200
    ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"]["database"]["state"] == "down"
    assert ready.json()["checks"]["redis"]["state"] == "up"
