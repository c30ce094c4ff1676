"""Settings come from the environment (F2, F3) and fail loudly when a required one is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _settings_value(expression: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import production-like settings in a clean process with exactly ``env``."""
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    base = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


SERVICES = {"DATABASE_URL": "postgresql://u@localhost/db", "REDIS_URL": "redis://localhost:1/0"}


def test_secret_key_is_required_when_not_in_debug():
    result = _settings_value("settings.SECRET_KEY", SERVICES)

    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = _settings_value("settings.DEBUG", {**SERVICES, "DJANGO_DEBUG": "1"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_database_pool_defaults_and_overrides():
    env = {**SERVICES, "DJANGO_SECRET_KEY": "k"}
    default = _settings_value("settings.DATABASES['default']['OPTIONS']", env)
    tuned = _settings_value(
        "settings.DATABASES['default']['OPTIONS']['pool']",
        {**env, "DB_POOL_MAX_SIZE": "40", "DB_POOL_MIN_SIZE": "2", "DB_POOL_TIMEOUT": "5"},
    )

    assert "'pool': {'min_size': 5, 'max_size': 20, 'timeout': 30.0}" in default.stdout
    assert "'connect_timeout': 30" in default.stdout
    assert tuned.stdout.strip() == "{'min_size': 2, 'max_size': 40, 'timeout': 5.0}"


def test_redis_uses_are_split_into_logical_databases():
    result = _settings_value(
        "settings.REDIS_CACHE_URL, settings.REDIS_STATE_URL, settings.CELERY_BROKER_URL",
        {**SERVICES, "DJANGO_SECRET_KEY": "k", "REDIS_URL": "redis://:pw@cache.internal:6380/0"},
    )

    assert result.stdout.strip() == (
        "redis://:pw@cache.internal:6380/0 redis://:pw@cache.internal:6380/1 "
        "redis://:pw@cache.internal:6380/2"
    )


def test_unix_socket_redis_url_gives_celery_a_socket_broker_url():
    result = _settings_value(
        "settings.REDIS_STATE_URL, settings.CELERY_BROKER_URL",
        {**SERVICES, "DJANGO_SECRET_KEY": "k", "REDIS_URL": "unix:///run/redis.sock?db=0"},
    )

    assert result.stdout.strip() == (
        "unix:///run/redis.sock?db=1 redis+socket:///run/redis.sock?virtual_host=2"
    )
    # and kombu can build a Redis transport from it, which it cannot from a unix:// URL
    from kombu import Connection

    assert (
        type(Connection(result.stdout.split()[1]).transport).__module__ == "kombu.transport.redis"
    )
    with pytest.raises(KeyError, match="No such transport"):
        _ = Connection("unix:///run/redis.sock?db=2").transport


def test_cdn_base_url_prefixes_media_urls():
    result = _settings_value(
        "settings.MEDIA_URL",
        {**SERVICES, "DJANGO_SECRET_KEY": "k", "CDN_BASE_URL": "https://cdn.example.kr/"},
    )

    assert result.stdout.strip() == "https://cdn.example.kr/media/"


def test_time_zone_language_and_redis_timeouts():
    assert settings.TIME_ZONE == "Asia/Seoul"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "ko"
    assert [code for code, _ in settings.LANGUAGES] == ["ko", "en"]
    options = settings.CACHES["default"]["OPTIONS"]
    assert options["SOCKET_CONNECT_TIMEOUT"] > 0
    assert options["SOCKET_TIMEOUT"] > 0


@pytest.mark.django_db
def test_connections_come_from_the_psycopg_pool():
    connection.ensure_connection()

    assert connection.pool is not None
    assert connection.pool.max_size == 20
    assert connection.pool.min_size == 5


def test_celery_has_a_queue_per_branch_and_the_database_scheduler():
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}

    assert queues == {"data", "cache", "image", "ai", "cleanup", "default"}
    from django.utils.module_loading import import_string
    from django_celery_beat.schedulers import DatabaseScheduler

    scheduler = import_string(settings.CELERY_BEAT_SCHEDULER.replace(":", "."))
    assert issubclass(scheduler, DatabaseScheduler)


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_cache_ttls_come_from_one_table_overridable_from_the_environment():
    result = _settings_value(
        "settings.CACHE_TTLS['stock_detail'], settings.CACHE_TTLS['news_list']",
        {**SERVICES, "DJANGO_SECRET_KEY": "k", "CACHE_TTL_STOCK_DETAIL": "15"},
    )

    assert result.stdout.strip() == "15 300"
    assert settings.CACHE_TTLS["market_snapshot"] == 5
    assert settings.CACHE_TTLS["stock_prices_1d"] == 10
    assert settings.CACHE_TTLS["image_resized"] == 7 * 24 * 3600
