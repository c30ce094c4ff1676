"""Fault tests (issue 10): real services are stopped, exhausted or killed while the site runs."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from bench.servers import UvicornServer

START_SECONDS = 120  # a Django start-up on a busy two-core machine


def test_database_url() -> str:
    """DATABASE_URL of the database pytest-django created, for processes a test starts."""
    database = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(database._replace(path=f"/{connection.settings_dict['NAME']}"))


test_database_url.__test__ = False  # a helper, not a test


def server_env(**overrides: str) -> dict[str, str]:
    """This process's environment for a site process: the test settings (the same Redis
    databases, derived from REDIS_URL) on the test database, plus ``overrides``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


@pytest.fixture
def site_process(transactional_db) -> Iterator[Callable[..., UvicornServer]]:
    """Start a real uvicorn process of the site with environment overrides; stopped after."""
    servers: list[UvicornServer] = []

    def start(**overrides: str) -> UvicornServer:
        server = UvicornServer("fault", server_env(**overrides))
        servers.append(server)
        server.wait_ready(time.monotonic() + START_SECONDS)
        return server

    yield start
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()
