"""Reads of the pipelines app."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from pipelines.models import CatalogueEntry, JobRun
from pipelines.registry import JOBS
from pipelines.services import periodic_task_schedule


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
        .annotate(total=Count("id"), ok=Count("id", filter=Q(status=JobRun.Status.SUCCEEDED)))
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
            )
        )
    return overviews
