"""C10/C11: hit-rate metrics shared through Redis; `manage.py cache stats|clear`."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cachekit import get_or_compute, metrics

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    out = StringIO()
    call_command("cache", *args, stdout=out)
    return out.getvalue()


def test_stats_show_hits_misses_and_hit_rate_per_namespace():
    for _ in range(4):
        get_or_compute("a", lambda: 1, namespace="news", ttl=60)
    get_or_compute("b", lambda: 1, namespace="stocks", ttl=60)

    output = _run("stats")

    news = next(line for line in output.splitlines() if line.startswith("news"))
    assert news.split()[1:4] == ["3", "0", "1"]  # hits, stale, misses
    assert news.split()[-1] == "75.0%"
    assert any(line.startswith("stocks") for line in output.splitlines())


def test_counts_from_other_processes_add_up():
    get_or_compute("a", lambda: 1, namespace="news", ttl=60)
    metrics.flush()
    other_process = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from cachekit import get_or_compute, metrics;"
            "get_or_compute('a', lambda: 1, namespace='news', ttl=60); metrics.flush()",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other_process.returncode == 0, other_process.stderr

    assert metrics.stats()["news"]["hits"] == 1
    assert metrics.stats()["news"]["misses"] == 1


def test_clear_one_namespace_leaves_the_others():
    calls = []
    get_or_compute("a", lambda: calls.append("news") or 1, namespace="news", ttl=60)
    get_or_compute("a", lambda: calls.append("stocks") or 1, namespace="stocks", ttl=60)

    output = _run("clear", "--namespace", "news")
    get_or_compute("a", lambda: calls.append("news") or 1, namespace="news", ttl=60)
    get_or_compute("a", lambda: calls.append("stocks") or 1, namespace="stocks", ttl=60)

    assert "Cleared 1 namespace(s): news" in output
    assert calls == ["news", "stocks", "news"]


def test_clear_all_namespaces():
    calls = []
    get_or_compute("a", lambda: calls.append(1) or 1, namespace="news", ttl=60)
    get_or_compute("a", lambda: calls.append(1) or 1, namespace="stocks", ttl=60)

    _run("clear")
    get_or_compute("a", lambda: calls.append(1) or 1, namespace="news", ttl=60)
    get_or_compute("a", lambda: calls.append(1) or 1, namespace="stocks", ttl=60)

    assert len(calls) == 4


def test_clear_of_an_unknown_namespace_is_an_error():
    with pytest.raises(CommandError, match="Unknown namespace"):
        _run("clear", "--namespace", "no-such-namespace")


def test_stats_with_redis_down_is_a_clear_error(disposable_redis):
    disposable_redis.stop()

    with pytest.raises(CommandError, match="Redis is unreachable"):
        _run("stats")
