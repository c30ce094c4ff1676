"""L2, L5: jobs declared in code; dependencies ordered; cycles and unknown names refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from pipelines.registry import (
    JOBS,
    Schedule,
    branch_order,
    execution_order,
    validate_catalogue,
)


def noop(run):
    return None


def test_the_product_catalogue_is_loaded_and_valid():
    assert "pipelines.prune_runs" in JOBS
    prune = JOBS["pipelines.prune_runs"]
    assert prune.branch == "cleanup"
    assert prune.schedule == Schedule(cron="30 2 * * 0", timezone="Asia/Seoul")
    assert prune.task.name == "pipelines.prune_runs"
    validate_catalogue()


def test_a_job_is_a_celery_task_routed_to_its_branch(declare):
    declared = declare(
        "t.limits_and_route",
        branch="data",
        every=60,
        soft_time_limit_seconds=10,
        time_limit_seconds=20,
    )(noop)

    route = declared.task.app.amqp.router.route({}, "t.limits_and_route")
    assert route["queue"].name == "data"
    assert declared.task.soft_time_limit == 10
    assert declared.task.time_limit == 20


def test_dependencies_run_first_in_topological_order(declare):
    declare("t.a", branch="data")(noop)
    declare("t.b", branch="data", depends_on=["t.a"])(noop)
    declare("t.c", branch="ai", depends_on=["t.a"])(noop)
    declare("t.d", branch="ai", depends_on=["t.b", "t.c"])(noop)

    order = execution_order("t.d")

    assert order[0] == "t.a"
    assert order[-1] == "t.d"
    assert order.index("t.b") < order.index("t.d") and order.index("t.c") < order.index("t.d")


def test_branch_order_puts_dependencies_first_then_priority(declare):
    declare("t.low", branch="cache", priority=9)(noop)
    declare("t.high", branch="cache", priority=0, depends_on=["t.base"])(noop)
    declare("t.base", branch="cache", priority=5)(noop)
    declare("t.off", branch="cache", enabled=False)(noop)

    assert branch_order("cache")[-3:] == ["t.base", "t.high", "t.low"]
    assert "t.off" not in branch_order("cache")


def test_a_cycle_is_refused_naming_the_jobs(declare):
    declare("t.x", branch="data", depends_on=["t.z"])(noop)
    declare("t.y", branch="data", depends_on=["t.x"])(noop)
    declare("t.z", branch="data", depends_on=["t.y"])(noop)

    with pytest.raises(ImproperlyConfigured, match=r"cycle: t\.x -> t\.z -> t\.y -> t\.x"):
        validate_catalogue()


def test_an_unknown_dependency_is_refused(declare):
    declare("t.orphan", branch="data", depends_on=["t.missing"])(noop)

    with pytest.raises(ImproperlyConfigured, match="t.orphan depends on unknown job.*t.missing"):
        validate_catalogue()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"branch": "nowhere"}, "branch"),
        ({"branch": "data", "cron": "* * *"}, "5 fields"),
        ({"branch": "data", "cron": "99 * * * *"}, "cron"),
        ({"branch": "data", "cron": "* * * * *", "every": 5}, "either"),
        ({"branch": "data", "priority": 12}, "priority"),
        ({"branch": "data", "soft_time_limit_seconds": 30, "time_limit_seconds": 30}, "hard time"),
        (
            {"branch": "data", "time_limit_seconds": 99_999, "soft_time_limit_seconds": 10},
            "visibility",
        ),
        ({"branch": "data", "max_retries": 10, "retry_backoff_seconds": 60}, "back-off"),
        ({"branch": "data", "cron": "0 3 * * *", "timezone": "Mars/Olympus"}, "t.bad"),
        ({"branch": "data", "cron": "* * *"}, "job t.bad: cron"),
    ],
)
def test_bad_declarations_fail_at_import(declare, options, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        declare("t.bad", **options)(noop)


def test_a_cycle_stops_start_up(tmp_path):
    """Start-up (django.setup) refuses a catalogue with a cycle, naming the jobs."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    app = tmp_path / "cycleapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "tasks.py").write_text(
        "from pipelines.registry import job\n"
        "job(name='loop.a', branch='data', depends_on=['loop.b'])(lambda run: None)\n"
        "job(name='loop.b', branch='data', depends_on=['loop.a'])(lambda run: None)\n"
    )
    (tmp_path / "cycle_settings.py").write_text(
        "from config.settings.test import *  # noqa\n"
        "INSTALLED_APPS = [*INSTALLED_APPS, 'cycleapp']\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}",
        "DJANGO_SETTINGS_MODULE": "cycle_settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "job dependency cycle: loop.a -> loop.b -> loop.a" in result.stderr
