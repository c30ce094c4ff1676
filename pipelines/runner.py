"""Executes a job inside its Celery task: dependencies first, one at a time, every run recorded."""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from core.redis import RedisError, release_owned_lock, state_redis
from pipelines import services
from pipelines.models import JobRun
from pipelines.registry import JOBS, Job, execution_order


class RunContext:
    """What a job function receives: report progress with `run.progress(percent, message)`."""

    def __init__(self, run: JobRun) -> None:
        self.record = run

    def progress(self, percent: int, message: str = "") -> None:
        services.job_run_progress(run=self.record, percent=percent, message=message)


def _lock_key(job: Job) -> str:
    return f"pipelines:lock:{job.name}"


def _acquire(job: Job, *, ttl_seconds: int, owner: str | None = None) -> str | None:
    """The job's lock, or None if it is held. It expires with the hard time limit of the task
    running it, so a crashed worker blocks the job no longer than that. Raises RedisError.

    ``owner`` is the Celery task id. A lock that this very task id already holds was left by an
    earlier delivery of the same message whose worker process was killed: the broker redelivers a
    message only once its delivery is dead (task_reject_on_worker_lost), or after the visibility
    timeout, which every job's hard limit stays under (registry). That lock is taken over, so the
    re-run happens now instead of being skipped as an overlap until the lock expires."""
    token = owner or secrets.token_hex(8)
    key = _lock_key(job)
    client = state_redis()
    if client.set(key, token, nx=True, px=ttl_seconds * 1000):
        return token
    if owner is not None and client.get(key) == owner:
        client.pexpire(key, ttl_seconds * 1000)
        return token
    return None


def _lost_deliveries(job: Job, owner: str | None) -> int:
    """How many deliveries of task ``owner`` died holding the job's lock, this one's included
    when it finds the lock held by its own id; counted so that a job that kills its worker every
    time (out of memory) is not redelivered for ever. Raises RedisError."""
    if owner is None or state_redis().get(_lock_key(job)) != owner:
        return 0
    key = f"pipelines:lost:{owner}"
    pipe = state_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, 24 * 3600)
    return pipe.execute()[0]


def _release(job: Job, token: str) -> None:
    with contextlib.suppress(RedisError):  # if Redis is gone the lock expires by itself
        release_owned_lock(state_redis(), _lock_key(job), token)


def _work(job: Job, run: JobRun) -> str:
    """Call the job's function for ``run`` (already started); record and return the outcome."""
    try:
        job.function(RunContext(run))
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried or raised
        services.job_run_finish(
            run=run,
            status=JobRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            traceback_text=traceback.format_exc(),
        )
        return JobRun.Status.FAILED
    services.job_run_finish(run=run, status=JobRun.Status.SUCCEEDED)
    return JobRun.Status.SUCCEEDED


def _latest_outcome(job: Job, *, excluding: JobRun) -> str | None:
    latest = (
        JobRun.objects.filter(job=job.name, finished_at__isnull=False)
        .exclude(pk=excluding.pk)
        .order_by("-finished_at")
        .first()
    )
    return latest.status if latest else None


def _wait_while_running(job: Job, *, poll_seconds: float = 0.2) -> None:
    """Return once no run of ``job`` holds its lock, or after its hard time limit."""
    deadline = time.monotonic() + job.time_limit_seconds
    while state_redis().exists(_lock_key(job)) and time.monotonic() < deadline:
        time.sleep(poll_seconds)


def _run_dependency(
    dependency: Job, parent: JobRun, *, worker: str, ttl_seconds: int, owner: str | None
) -> str:
    """Run a dependency inline; if it is already running elsewhere, wait for that run instead."""
    run = services.job_run_create(job=dependency, trigger=JobRun.Trigger.DEPENDENCY, parent=parent)
    token = _acquire(dependency, ttl_seconds=ttl_seconds, owner=owner)
    if token is None:
        _wait_while_running(dependency)
        outcome = _latest_outcome(dependency, excluding=run)
        services.job_run_finish(
            run=run,
            status=JobRun.Status.SKIPPED,
            error=f"already running elsewhere; waited for it: {outcome or 'no result'}",
        )
        return outcome or JobRun.Status.FAILED
    try:
        services.job_runs_mark_lost(job=dependency, current=run)
        services.job_run_start(run=run, worker=worker)
        return _work(dependency, run)
    finally:
        _release(dependency, token)


def job_run_here(
    name: str, *, worker: str, work: Callable[[RunContext], None] | None = None
) -> JobRun:
    """Run job ``name`` in this process (a management command) and record it as a manual run,
    under the job's lock like a queued run, so its history and its dependants see it.

    ``work`` stands in for the job's function (e.g. a crawl of some sources only). Dependencies
    are not run. Returns the finished run: skipped if the job is running elsewhere, failed with
    the error if the work (or Redis, for the lock) failed."""
    job = JOBS[name]
    run = services.job_run_create(job=job, trigger=JobRun.Trigger.MANUAL)
    try:
        token = _acquire(job, ttl_seconds=job.time_limit_seconds)
    except RedisError as exc:
        return services.job_run_finish(run=run, status=JobRun.Status.FAILED, error=f"lock: {exc}")
    if token is None:
        return services.job_run_finish(
            run=run, status=JobRun.Status.SKIPPED, error="already running: overlapping run skipped"
        )
    try:
        services.job_runs_mark_lost(job=job, current=run)
        services.job_run_start(run=run, worker=worker)
        _work(job if work is None else dataclasses.replace(job, function=work), run)
    finally:
        _release(job, token)
    return run


def run_job_task_body(
    task: Any,
    name: str,
    *,
    trigger: str,
    run_id: int | None,
    include_dependencies: bool = True,
    check_dependencies: bool = False,
) -> str:
    """The body of every job's Celery task: take the job's lock, run what it depends on, run it.

    Without ``include_dependencies`` the dependencies are not run: a branch run
    (``check_dependencies``) has run those of its branch just before and requires that they
    succeeded; any other run was queued by whoever did their work (the crawl that stored the
    articles to analyse, an operator) and is never failed for them."""
    close_old_connections()
    job = JOBS[name]
    retries = getattr(task.request, "retries", 0) or 0
    worker = getattr(task.request, "hostname", None) or "local"
    owner = getattr(task.request, "id", None)
    run = JobRun.objects.filter(pk=run_id).first() if run_id is not None and retries == 0 else None
    if run is None:  # scheduled, retried, or its queued record was pruned meanwhile
        run = services.job_run_create(
            job=job, trigger=JobRun.Trigger.RETRY if retries else trigger, attempt=retries + 1
        )
    # Everything below runs inside this task, so its hard limit is the most any lock must last.
    ttl_seconds = job.time_limit_seconds
    try:
        lost = _lost_deliveries(job, owner)
        if lost > max(job.max_retries, 1):  # a lost worker's re-run counts as a retry
            _release(job, owner)
            services.job_run_finish(
                run=run,
                status=JobRun.Status.FAILED,
                error=f"worker lost {lost} times while running it (killed, out of memory?): "
                "not run again",
            )
            return JobRun.Status.FAILED
        token = _acquire(job, ttl_seconds=ttl_seconds, owner=owner)
    except RedisError as exc:
        services.job_run_finish(run=run, status=JobRun.Status.FAILED, error=f"lock: {exc}")
        return JobRun.Status.FAILED
    if token is None:
        services.job_run_finish(
            run=run, status=JobRun.Status.SKIPPED, error="already running: overlapping run skipped"
        )
        return JobRun.Status.SKIPPED
    try:
        services.job_runs_mark_lost(job=job, current=run)
        services.job_run_start(run=run, worker=worker)
        status = _dependencies_outcome(
            job, run, worker, ttl_seconds, include_dependencies, check_dependencies, owner
        )
        if status == JobRun.Status.SUCCEEDED:
            status = _work(job, run)
    except RedisError as exc:
        services.job_run_finish(run=run, status=JobRun.Status.FAILED, error=f"redis: {exc}")
        status = JobRun.Status.FAILED
    finally:
        _release(job, token)
    if status == JobRun.Status.FAILED and retries < job.max_retries:
        # Back-off doubles per attempt; the retried message records a run with trigger "retry".
        raise task.retry(
            countdown=job.retry_backoff_seconds * 2**retries,
            max_retries=job.max_retries,
            kwargs={
                "trigger": trigger,
                "run_id": None,
                "include_dependencies": include_dependencies,
                "check_dependencies": check_dependencies,
            },
        )
    return status


def _dependencies_outcome(
    job: Job,
    run: JobRun,
    worker: str,
    ttl_seconds: int,
    include_dependencies: bool,
    check_dependencies: bool,
    owner: str | None,
) -> str:
    """Run (or, in a branch run, check) what ``job`` depends on; record a failure on ``run``."""
    for dependency_name in execution_order(job.name)[:-1]:
        dependency = JOBS[dependency_name]
        if include_dependencies:
            outcome = _run_dependency(
                dependency, run, worker=worker, ttl_seconds=ttl_seconds, owner=owner
            )
        elif dependency_name in job.depends_on:
            # A run of it may still be finishing, e.g. the crawl that queued this very analysis:
            # wait, so that this run works on what that one leaves.
            _wait_while_running(dependency)
            if not (check_dependencies and _in_branch_run(dependency, job)):
                continue  # queued without it by whoever did its work: not failed for it
            # The branch run ran it just before: go on only if that run succeeded.
            outcome = _latest_outcome(dependency, excluding=run)
        else:
            continue
        if outcome != JobRun.Status.SUCCEEDED:
            services.job_run_finish(
                run=run,
                status=JobRun.Status.FAILED,
                error=f"dependency {dependency_name} {outcome or 'has not run'}",
            )
            return JobRun.Status.FAILED
    return JobRun.Status.SUCCEEDED


def _in_branch_run(dependency: Job, job: Job) -> bool:
    """Whether a branch run of ``job``'s branch runs ``dependency`` too (branch_order)."""
    return dependency.branch == job.branch and dependency.enabled
