"""Liveness and readiness probes (O1)."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_services(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_service(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_is_200_degraded_when_the_broker_is_down(client, disposable_redis):
    # A load balancer must keep serving from PostgreSQL: only the database makes it a 503.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] | {"latency_ms": 0} == {
        "ok": False, "state": "degraded", "error": "OperationalError", "latency_ms": 0,
    }  # fmt: skip
    assert body["checks"]["database"]["state"] == "up"
    assert body["checks"]["redis"]["state"] == "up"


def test_readyz_is_200_degraded_when_redis_and_the_broker_are_down(client, disposable_redis):
    disposable_redis.stop()  # the cache, the state store and the broker all on it

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["state"] == "degraded"
    assert body["checks"]["redis"]["error"] == "ConnectionError"  # the probe names no host/port
    assert body["checks"]["broker"]["state"] == "degraded"
    assert body["checks"]["database"] | {"latency_ms": 0} == {
        "ok": True, "state": "up", "latency_ms": 0,
    }  # fmt: skip
