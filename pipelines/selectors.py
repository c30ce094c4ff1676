"""Reads of the pipelines app."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Aggregate, Count, FloatField, Q
from django.utils import timezone

from pipelines.models import CatalogueEntry, JobRun
from pipelines.registry import JOBS
from pipelines.services import periodic_task_schedule


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: the duration below which a share of runs finished."""

    function = "percentile_cont"
    template = "%(function)s(%(share)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, share: float, **extra: object) -> None:
        super().__init__(expression, share=share, **extra)


@dataclass(frozen=True)
class JobOverview:
    name: str
    branch: str
    schedule: str
    code_schedule: str
    enabled: bool
    differs_from_code: bool
    is_in_code: bool
    last_status: str
    last_run_at: object
    success_rate_7d: float | None
    p50_ms: float | None = None
    p95_ms: float | None = None
    next_run_at: object = None
    priority: int | None = None
    depends_on: tuple[str, ...] = ()


def job_overviews() -> list[JobOverview]:
    """Every catalogue entry with its live schedule and recent outcome, in a fixed few queries."""
    entries = CatalogueEntry.objects.select_related(
        "periodic_task__crontab", "periodic_task__interval"
    )
    week_ago = timezone.now() - timezone.timedelta(days=7)
    finished = [JobRun.Status.SUCCEEDED, JobRun.Status.FAILED]
    rates = {
        row["job"]: row
        for row in JobRun.objects.filter(queued_at__gte=week_ago, status__in=finished)
        .values("job")
        .annotate(
            total=Count("id"),
            ok=Count("id", filter=Q(status=JobRun.Status.SUCCEEDED)),
            p50=Percentile("duration_ms", 0.5, filter=Q(status=JobRun.Status.SUCCEEDED)),
            p95=Percentile("duration_ms", 0.95, filter=Q(status=JobRun.Status.SUCCEEDED)),
        )
    }
    last = {}
    for run in JobRun.objects.order_by("job", "-queued_at").distinct("job"):
        last[run.job] = run
    overviews = []
    for entry in entries:
        task = entry.periodic_task
        schedule = periodic_task_schedule(task) if task else "(run on demand)"
        enabled = task.enabled if task else (entry.is_in_code and JOBS.get(entry.name) is not None)
        differs = task is not None and (
            schedule != entry.code_schedule or task.enabled != entry.code_enabled
        )
        rate = rates.get(entry.name)
        last_run = last.get(entry.name)
        declared = JOBS.get(entry.name)
        overviews.append(
            JobOverview(
                name=entry.name,
                branch=entry.branch,
                schedule=schedule,
                code_schedule=entry.code_schedule or "(run on demand)",
                enabled=enabled,
                differs_from_code=differs,
                is_in_code=entry.is_in_code,
                last_status=last_run.status if last_run else "",
                last_run_at=last_run.queued_at if last_run else None,
                success_rate_7d=rate["ok"] / rate["total"] if rate else None,
                p50_ms=rate["p50"] if rate else None,
                p95_ms=rate["p95"] if rate else None,
                next_run_at=_next_run(task) if task is not None and enabled else None,
                priority=declared.priority if declared else None,
                depends_on=declared.depends_on if declared else (),
            )
        )
    return overviews


def _next_run(task: object) -> object:
    now = timezone.now()
    try:
        remaining = task.schedule.remaining_estimate(task.last_run_at or now)
    except Exception:  # noqa: BLE001 - an odd schedule shows no next run rather than failing
        return None
    # Rounded to the second: the estimate lands a few microseconds before the scheduled minute.
    next_run = now + max(remaining, timezone.timedelta(0))
    return (next_run + timezone.timedelta(milliseconds=500)).replace(microsecond=0)


def recent_runs(*, job: str | None = None, status: str | None = None, branch: str | None = None):
    runs = JobRun.objects.all()
    if job:
        runs = runs.filter(job=job)
    if status:
        runs = runs.filter(status=status)
    if branch:
        runs = runs.filter(branch=branch)
    return runs
