"""The catalogue of periodic jobs (L1, L2, L5), declared in code with one decorator.

    from pipelines.registry import job

    @job(name="stocks.collect_prices", branch="data", cron="*/1 9-15 * * 1-5", priority=2)
    def collect_prices(run): ...            # `run.progress(40, "KOSDAQ")` reports progress

Each job is also a Celery task named after the job, routed to its branch's queue. Dependencies name
other jobs; an unknown dependency or a cycle stops start-up with a message naming the jobs.
"""

from __future__ import annotations

import heapq
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BRANCHES = ("data", "cache", "image", "ai", "cleanup")
DEFAULT_TIMEZONE = "Asia/Seoul"


@dataclass(frozen=True)
class Schedule:
    """When a job runs: a five-field cron in a timezone, or every N seconds."""

    cron: str | None = None
    every_seconds: int | None = None
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every_seconds is None):
            raise ImproperlyConfigured("a job's schedule is either `cron` or `every`, not both")
        if self.cron is not None:
            fields = self.cron.split()
            if len(fields) != 5:
                raise ImproperlyConfigured(f"cron {self.cron!r} must have 5 fields")
            minute, hour, day_of_month, month_of_year, day_of_week = fields
            try:  # celery parses and validates each field
                crontab(minute, hour, day_of_week, day_of_month, month_of_year)
            except ValueError as exc:
                raise ImproperlyConfigured(f"cron {self.cron!r}: {exc}") from exc
        if self.every_seconds is not None and self.every_seconds <= 0:
            raise ImproperlyConfigured("`every` must be a positive number of seconds")

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron} ({self.timezone})"
        return f"every {self.every_seconds}s"


@dataclass
class Job:
    """One declared job. `function(run)` does the work; `task` is its Celery task."""

    name: str
    branch: str
    function: Callable[..., Any]
    schedule: Schedule | None
    priority: int = 5
    depends_on: tuple[str, ...] = ()
    enabled: bool = True
    max_retries: int = 3
    retry_backoff_seconds: int = 30
    soft_time_limit_seconds: int = 300
    time_limit_seconds: int = 360
    description: str = ""
    task: Any = field(default=None, repr=False)


JOBS: dict[str, Job] = {}


def job(
    *,
    name: str,
    branch: str,
    cron: str | None = None,
    every: int | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    priority: int = 5,
    depends_on: Iterable[str] = (),
    enabled: bool = True,
    max_retries: int = 3,
    retry_backoff_seconds: int = 30,
    soft_time_limit_seconds: int = 300,
    time_limit_seconds: int = 360,
) -> Callable[[Callable[..., Any]], Job]:
    """Declare a job. Without `cron`/`every` it runs only when asked (run-now, dependencies)."""
    if branch not in BRANCHES:
        raise ImproperlyConfigured(f"job {name}: branch {branch!r} is not one of {BRANCHES}")
    if not 0 <= priority <= 9:
        raise ImproperlyConfigured(f"job {name}: priority must be 0 (first) to 9")
    if time_limit_seconds <= soft_time_limit_seconds:
        raise ImproperlyConfigured(f"job {name}: the hard time limit must exceed the soft one")
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    if time_limit_seconds >= visibility:
        # A message not acked within the broker's visibility timeout is delivered again: a job
        # that may run longer would be started twice.
        raise ImproperlyConfigured(
            f"job {name}: hard time limit {time_limit_seconds}s must stay under the broker's "
            f"visibility timeout ({visibility}s)"
        )
    longest_backoff = retry_backoff_seconds * 2 ** max(0, max_retries - 1)
    if longest_backoff >= visibility:
        raise ImproperlyConfigured(
            f"job {name}: a retry back-off of {longest_backoff}s would exceed the broker's "
            f"visibility timeout ({visibility}s) and be delivered twice"
        )
    try:
        zoneinfo.ZoneInfo(timezone)
        schedule = (
            Schedule(cron=cron, every_seconds=every, timezone=timezone)
            if cron is not None or every is not None
            else None
        )
    except (ImproperlyConfigured, zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"job {name}: {exc}") from exc

    def declare(function: Callable[..., Any]) -> Job:
        if name in JOBS and JOBS[name].function is not function:
            raise ImproperlyConfigured(f"job {name} is declared twice")
        declared = Job(
            name=name,
            branch=branch,
            function=function,
            schedule=schedule,
            priority=priority,
            depends_on=tuple(depends_on),
            enabled=enabled,
            max_retries=max_retries,
            retry_backoff_seconds=retry_backoff_seconds,
            soft_time_limit_seconds=soft_time_limit_seconds,
            time_limit_seconds=time_limit_seconds,
            description=(function.__doc__ or "").strip().split("\n")[0],
        )
        declared.task = _celery_task_for(declared)
        JOBS[name] = declared
        return declared

    return declare


def _celery_task_for(declared: Job) -> Any:
    from pipelines.runner import run_job_task_body

    def body(
        task: Any,
        trigger: str = "schedule",
        run_id: int | None = None,
        include_dependencies: bool = True,
        check_dependencies: bool = False,
    ) -> str:
        return run_job_task_body(
            task,
            declared.name,
            trigger=trigger,
            run_id=run_id,
            include_dependencies=include_dependencies,
            check_dependencies=check_dependencies,
        )

    body.__name__ = declared.name.replace(".", "_")
    return shared_task(
        bind=True,
        name=declared.name,  # stable: stored in the beat schedule
        soft_time_limit=declared.soft_time_limit_seconds,
        time_limit=declared.time_limit_seconds,
        acks_late=True,
        ignore_result=True,
    )(body)


def validate_catalogue(jobs: dict[str, Job] | None = None) -> None:
    """Refuse unknown dependencies and cycles, naming the jobs involved."""
    jobs = JOBS if jobs is None else jobs
    for declared in jobs.values():
        unknown = [name for name in declared.depends_on if name not in jobs]
        if unknown:
            raise ImproperlyConfigured(
                f"job {declared.name} depends on unknown job(s): {', '.join(unknown)}"
            )
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ImproperlyConfigured(f"job dependency cycle: {' -> '.join(cycle)}")
        visiting.append(name)
        for dependency in jobs[name].depends_on:
            visit(dependency)
        visiting.pop()
        done.add(name)

    for name in sorted(jobs):
        visit(name)


def _ordered(names: set[str], jobs: dict[str, Job]) -> list[str]:
    """Topological order of ``names`` (dependencies first), then by priority, then by name."""
    waiting = {name: {d for d in jobs[name].depends_on if d in names} for name in names}
    ready = [(jobs[n].priority, n) for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _priority, name = heapq.heappop(ready)
        order.append(name)
        for other, deps in waiting.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, (jobs[other].priority, other))
    return order


def execution_order(name: str, jobs: dict[str, Job] | None = None) -> list[str]:
    """``name`` and everything it depends on, dependencies first."""
    jobs = JOBS if jobs is None else jobs
    needed: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(jobs[current].depends_on)
    return _ordered(needed, jobs)


def branch_order(branch: str, jobs: dict[str, Job] | None = None) -> list[str]:
    """Every enabled job of ``branch``, dependencies first, then by priority."""
    jobs = JOBS if jobs is None else jobs
    names = {n for n, j in jobs.items() if j.branch == branch and j.enabled}
    return _ordered(names, jobs)


def route_to_branch(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any):
    """Celery router (CELERY_TASK_ROUTES): a job's messages go to its branch's queue (L4)."""
    declared = JOBS.get(name)
    if declared is None:
        return None
    return {"queue": declared.branch, "exchange": declared.branch, "routing_key": declared.branch}
