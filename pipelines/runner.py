"""Executes a job inside its Celery task: dependencies first, one at a time, every run recorded."""

from __future__ import annotations

import contextlib
import secrets
import traceback
from typing import Any

from django.db import close_old_connections

from core.redis import RedisError, state_redis
from pipelines import services
from pipelines.models import JobRun
from pipelines.registry import JOBS, Job, execution_order

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RunContext:
    """What a job function receives: report progress with `run.progress(percent, message)`."""

    def __init__(self, run: JobRun) -> None:
        self.record = run

    def progress(self, percent: int, message: str = "") -> None:
        services.job_run_progress(run=self.record, percent=percent, message=message)


def _lock_key(job: Job) -> str:
    return f"pipelines:lock:{job.name}"


def _execute(job: Job, run: JobRun, *, worker: str) -> str:
    """Run one job under its lock; return the run's final status."""
    token = secrets.token_hex(8)
    try:
        # Expires with the hard time limit: a crashed worker blocks the job no longer than that.
        is_locked = state_redis().set(
            _lock_key(job), token, nx=True, px=(job.time_limit_seconds + 5) * 1000
        )
    except RedisError as exc:
        services.job_run_finish(run=run, status=JobRun.Status.FAILED, error=f"lock: {exc}")
        return JobRun.Status.FAILED
    if not is_locked:
        services.job_run_finish(
            run=run, status=JobRun.Status.SKIPPED, error="already running: overlapping run skipped"
        )
        return JobRun.Status.SKIPPED
    try:
        services.job_runs_mark_lost(job=job, current=run)
        services.job_run_start(run=run, worker=worker)
        job.function(RunContext(run))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried or raised
        services.job_run_finish(
            run=run,
            status=JobRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback_text=traceback.format_exc(),
        )
        return JobRun.Status.FAILED
    else:
        services.job_run_finish(run=run, status=JobRun.Status.SUCCEEDED)
        return JobRun.Status.SUCCEEDED
    finally:
        with contextlib.suppress(RedisError):  # if Redis is gone the lock expires by itself
            state_redis().eval(_RELEASE, 1, _lock_key(job), token)


def run_job_task_body(
    task: Any,
    name: str,
    *,
    trigger: str,
    run_id: int | None,
    include_dependencies: bool = True,
) -> str:
    """The body of every job's Celery task."""
    close_old_connections()
    job = JOBS[name]
    retries = getattr(task.request, "retries", 0) or 0
    worker = getattr(task.request, "hostname", None) or "local"
    run = JobRun.objects.filter(pk=run_id).first() if run_id is not None and retries == 0 else None
    if run is None:  # scheduled, retried, or its queued record was pruned meanwhile
        run = services.job_run_create(
            job=job, trigger=JobRun.Trigger.RETRY if retries else trigger, attempt=retries + 1
        )
    if include_dependencies:
        for dependency in execution_order(name)[:-1]:
            dependency_run = services.job_run_create(
                job=JOBS[dependency], trigger=JobRun.Trigger.DEPENDENCY, parent=run
            )
            status = _execute(JOBS[dependency], dependency_run, worker=worker)
            if status != JobRun.Status.SUCCEEDED:
                services.job_run_finish(
                    run=run,
                    status=JobRun.Status.FAILED,
                    error=f"dependency {dependency} {status}",
                )
                return JobRun.Status.FAILED
    status = _execute(job, run, worker=worker)
    if status == JobRun.Status.FAILED and retries < job.max_retries:
        # Back-off doubles per attempt; the retried message records a run with trigger "retry".
        raise task.retry(
            countdown=job.retry_backoff_seconds * 2**retries,
            max_retries=job.max_retries,
            kwargs={
                "trigger": trigger,
                "run_id": None,
                "include_dependencies": include_dependencies,
            },
        )
    return status
