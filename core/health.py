"""Readiness checks of the services the site depends on (O1)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection
from kombu import Connection

from core.redis import state_redis

logger = logging.getLogger(__name__)
READINESS_TIMEOUT_SECONDS = 2


def _database() -> None:
    # A fresh connection with a short timeout, not one from the pool: a pool waits up to
    # DB_POOL_TIMEOUT for a connection, longer than any probe waits for an answer.
    params = connection.get_connection_params()
    params["connect_timeout"] = READINESS_TIMEOUT_SECONDS
    with psycopg.connect(**params) as conn:
        conn.execute("SELECT 1")


def _redis() -> None:
    get_redis_connection("default").ping()
    state_redis().ping()


def _broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as conn:
        conn.ensure_connection(max_retries=0)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "redis": _redis, "broker": _broker}
# Without PostgreSQL no page can be served: the only check that takes a process out of service.
# Redis and the broker down leave pages and the API working from the database (cache misses, no
# background tasks), so they degrade it: a load balancer must not take every process out for them.
ESSENTIAL = frozenset({"database"})


def readiness_report() -> dict[str, Any]:
    """Run every check; report each one's state and latency, and the overall status: "ready",
    "degraded" (an inessential service down) or "unavailable" (the database down)."""
    report: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", never a 500
            # The probe is public: name the failure, keep hosts and users for the log.
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            state = "down" if name in ESSENTIAL else "degraded"
            report[name] = {"ok": False, "state": state, "error": type(exc).__name__}
        else:
            report[name] = {"ok": True, "state": "up"}
        report[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if any(report[name]["state"] == "down" for name in ESSENTIAL):
        status = "unavailable"
    else:
        status = "ready" if all(item["ok"] for item in report.values()) else "degraded"
    return {"ready": status != "unavailable", "status": status, "checks": report}
