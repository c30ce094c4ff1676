"""Readiness checks of the services the site depends on (O1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection
from kombu import Connection

from core.redis import state_redis


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


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


def readiness_report() -> dict[str, Any]:
    """Run every check; report each one's state and latency, and whether all are up."""
    report: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", never a 500
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            report[name] = {"ok": True}
        report[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return {"ready": all(item["ok"] for item in report.values()), "checks": report}
