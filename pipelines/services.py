"""Writes of the pipelines app: run records and their events, run-now, catalogue sync (L3, L6)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)

from core.realtime import group_send_nowait
from core.redis import RedisError, state_redis
from pipelines.models import CatalogueEntry, JobRun
from pipelines.registry import JOBS, Job, branch_order, validate_catalogue

logger = logging.getLogger(__name__)

EVENTS_STREAM = "pipelines:events"
EVENTS_GROUP = "pipelines"


# --- run records and their events --------------------------------------------------------------


def _event(run: JobRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "job": run.job,
        "branch": run.branch,
        "trigger": run.trigger,
        "status": run.status,
        "progress": run.progress,
        "message": run.progress_message,
        "duration_ms": run.duration_ms,
        "error": run.error[:300],
        "at": timezone.now().isoformat(),
    }


def pipeline_event_publish(run: JobRun) -> None:
    """Append the run's state to the bounded Redis stream and tell live dashboards, on commit."""
    event = _event(run)

    def publish() -> None:
        try:
            state_redis().xadd(
                EVENTS_STREAM,
                {key: json.dumps(value) for key, value in event.items()},
                maxlen=settings.PIPELINES_EVENT_STREAM_MAXLEN,
                approximate=True,
            )
        except RedisError:
            logger.warning("pipeline event not appended to the stream: Redis unavailable")
        group_send_nowait(EVENTS_GROUP, {"type": "pipeline.event", "event": event})

    transaction.on_commit(publish)


def job_run_create(
    *, job: Job, trigger: str, parent: JobRun | None = None, attempt: int = 1
) -> JobRun:
    run = JobRun.objects.create(
        job=job.name, branch=job.branch, trigger=trigger, parent=parent, attempt=attempt
    )
    pipeline_event_publish(run)
    return run


def job_run_start(*, run: JobRun, worker: str) -> JobRun:
    run.status = JobRun.Status.RUNNING
    run.started_at = timezone.now()
    run.worker = worker[:200]
    run.save(update_fields=["status", "started_at", "worker"])
    pipeline_event_publish(run)
    return run


def job_run_progress(*, run: JobRun, percent: int, message: str = "") -> JobRun:
    run.progress = max(0, min(100, int(percent)))
    run.progress_message = message[:300]
    run.save(update_fields=["progress", "progress_message"])
    pipeline_event_publish(run)
    return run


def job_run_finish(
    *, run: JobRun, status: str, error: str = "", traceback_text: str = ""
) -> JobRun:
    now = timezone.now()
    run.status = status
    run.finished_at = now
    if run.started_at is not None:
        run.duration_ms = int((now - run.started_at).total_seconds() * 1000)
    if status == JobRun.Status.SUCCEEDED:
        run.progress = 100
    run.error = error
    run.traceback = traceback_text
    run.save(
        update_fields=["status", "finished_at", "duration_ms", "progress", "error", "traceback"]
    )
    pipeline_event_publish(run)
    return run


def job_runs_mark_lost(*, job: Job, current: JobRun) -> int:
    """Runs of ``job`` still marked running while ``current`` holds the job's lock belong to a
    worker that died (or hit the hard time limit) without recording an end: mark them failed."""
    lost = list(
        JobRun.objects.filter(job=job.name, status=JobRun.Status.RUNNING).exclude(pk=current.pk)
    )
    for run in lost:
        job_run_finish(
            run=run,
            status=JobRun.Status.FAILED,
            error="worker lost: it stopped (crash or hard time limit) before recording an end",
        )
    return len(lost)


def job_run_now(*, name: str, include_dependencies: bool = True) -> JobRun:
    """Queue one run of job ``name`` on its branch's queue now (L8). Without
    ``include_dependencies`` the caller has done their work (the crawl that queues the analysis):
    the run neither runs them nor is failed for them."""
    job = JOBS[name]
    run = job_run_create(job=job, trigger=JobRun.Trigger.MANUAL)

    def send() -> None:
        try:
            job.task.apply_async(
                kwargs={
                    "trigger": JobRun.Trigger.MANUAL,
                    "run_id": run.pk,
                    "include_dependencies": include_dependencies,
                },
                queue=job.branch,
                priority=job.priority,
            )
        except Exception as exc:  # noqa: BLE001 - an unreachable broker is recorded, not a 500
            logger.warning("could not queue %s: %s", name, exc)
            job_run_finish(run=run, status=JobRun.Status.FAILED, error=f"could not queue: {exc}")

    transaction.on_commit(send)
    return run


def branch_run_now(*, branch: str) -> list[JobRun]:
    """Queue every enabled job of ``branch``: dependencies first, then by priority, one by one."""
    from celery import chain

    names = branch_order(branch)
    runs = [job_run_create(job=JOBS[name], trigger=JobRun.Trigger.MANUAL) for name in names]
    signatures = [
        JOBS[run.job]
        .task.si(
            trigger=JobRun.Trigger.MANUAL,
            run_id=run.pk,
            include_dependencies=False,
            check_dependencies=True,  # each one's dependencies in the branch ran before it
        )
        .set(queue=branch, priority=JOBS[run.job].priority)
        for run in runs
    ]

    def send() -> None:
        try:
            chain(*signatures).apply_async()
        except Exception as exc:  # noqa: BLE001 - an unreachable broker is recorded, not a 500
            logger.warning("could not queue the %s branch: %s", branch, exc)
            for run in runs:
                job_run_finish(
                    run=run, status=JobRun.Status.FAILED, error=f"could not queue: {exc}"
                )

    if signatures:
        transaction.on_commit(send)
    return runs


def job_runs_prune(*, older_than_days: int) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=older_than_days)
    deleted, _ = JobRun.objects.filter(queued_at__lt=cutoff).delete()
    return deleted


# --- catalogue sync (L3) ------------------------------------------------------------------------


def periodic_task_schedule(task: PeriodicTask) -> str:
    """The PeriodicTask's schedule in the words `Schedule.describe()` uses."""
    if task.crontab_id:
        c = task.crontab
        fields = f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
        return f"cron {fields} ({c.timezone})"
    if task.interval_id:
        seconds = (
            task.interval.every
            * {
                IntervalSchedule.DAYS: 86400,
                IntervalSchedule.HOURS: 3600,
                IntervalSchedule.MINUTES: 60,
                IntervalSchedule.SECONDS: 1,
                IntervalSchedule.MICROSECONDS: 1e-6,
            }[task.interval.period]
        )
        return f"every {int(seconds)}s"
    return "(no schedule)"


def _apply_code_schedule(task: PeriodicTask, job: Job, known: dict | None = None) -> None:
    """Point ``task`` at the job's schedule row (``known`` memoises rows within one sync)."""
    known = {} if known is None else known
    schedule = job.schedule
    if schedule.cron is not None:
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.cron.split()
        fields = {
            "minute": minute,
            "hour": hour,
            "day_of_month": day_of_month,
            "month_of_year": month_of_year,
            "day_of_week": day_of_week,
            "timezone": schedule.timezone,
        }
        key = ("cron", *fields.values())
        if key not in known:
            known[key], _ = CrontabSchedule.objects.get_or_create(**fields)
        task.crontab, task.interval = known[key], None
    else:
        key = ("every", schedule.every_seconds)
        if key not in known:
            known[key], _ = IntervalSchedule.objects.get_or_create(
                every=schedule.every_seconds, period=IntervalSchedule.SECONDS
            )
        task.interval, task.crontab = known[key], None


def _apply_code_routing(task: PeriodicTask, job: Job) -> None:
    task.task = job.name
    task.queue = job.branch
    task.exchange = job.branch
    task.routing_key = job.branch
    task.priority = job.priority
    task.kwargs = json.dumps({"trigger": JobRun.Trigger.SCHEDULE})
    task.description = job.description


def _task_state(task: PeriodicTask) -> tuple:
    return (
        task.crontab_id if task.crontab is None else task.crontab.pk,
        task.interval_id if task.interval is None else task.interval.pk,
        task.enabled,
        task.task,
        task.queue,
        task.exchange,
        task.routing_key,
        task.priority,
        task.kwargs,
        task.description,
    )


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_staff_edits: list[str] = field(default_factory=list)
    disabled_removed: list[str] = field(default_factory=list)


@transaction.atomic
def catalogue_sync() -> SyncReport:
    """Write the code's catalogue into django-celery-beat, keeping what staff changed (L3).

    A staff edit is a PeriodicTask value that differs from what the previous sync wrote; it is
    kept (and shown as differing). Jobs no longer in code are disabled, never left running.
    """
    validate_catalogue()
    report = SyncReport()
    known_schedules: dict = {}
    entries = {
        entry.name: entry
        for entry in CatalogueEntry.objects.select_related(
            "periodic_task__crontab", "periodic_task__interval"
        )
    }
    for job in JOBS.values():
        entry = entries.get(job.name) or CatalogueEntry(name=job.name)
        code_schedule = job.schedule.describe() if job.schedule else ""
        # The row may exist unlinked: the job once lost its schedule in code, and got it back.
        task = entry.periodic_task or PeriodicTask.objects.filter(name=job.name).first()
        if job.schedule is not None:
            before = _task_state(task) if task is not None else None
            kept: list[str] = []
            if task is not None and (entry.periodic_task is None or not entry.is_in_code):
                # Back in code (or back on a schedule): the code's values apply, nothing to keep.
                _apply_code_schedule(task, job, known_schedules)
                task.enabled = job.enabled
            elif task is None:
                task = PeriodicTask(name=job.name, enabled=job.enabled)
                _apply_code_schedule(task, job, known_schedules)
                report.created.append(job.name)
            else:
                if periodic_task_schedule(task) == entry.code_schedule:
                    _apply_code_schedule(task, job, known_schedules)
                else:
                    kept.append("schedule")
                if task.enabled == entry.code_enabled:
                    task.enabled = job.enabled
                else:
                    kept.append("enabled")
                if kept:
                    report.kept_staff_edits.append(f"{job.name} ({', '.join(kept)})")
            _apply_code_routing(task, job)
            if before != _task_state(task):  # unchanged rows are not written again
                if before is not None and not kept:
                    report.updated.append(job.name)
                task.save()
        elif task is not None:
            task.enabled = False  # the job lost its schedule in code
            task.save(update_fields=["enabled"])
        wanted = {
            "branch": job.branch,
            "periodic_task": task if job.schedule is not None else None,
            "code_schedule": code_schedule,
            "code_enabled": job.enabled,
            "is_in_code": True,
            "description": job.description[:300],
        }
        if entry.pk is None or any(getattr(entry, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(entry, key, value)
            entry.save()
    for name, entry in entries.items():
        if name in JOBS or not entry.is_in_code:
            continue
        entry.is_in_code = False
        entry.code_enabled = False  # disabled by the code, not by staff
        entry.save(update_fields=["is_in_code", "code_enabled", "synced_at"])
        if entry.periodic_task is not None and entry.periodic_task.enabled:
            entry.periodic_task.enabled = False
            entry.periodic_task.save(update_fields=["enabled"])
        report.disabled_removed.append(name)
    # Bulk changes: tell beat the schedule changed (its signal only fires on single saves).
    PeriodicTasks.update_changed()
    return report


def catalogue_entry_reset(*, entry: CatalogueEntry) -> None:
    """Admin action: put a job's schedule and enabled flag back to the code's values."""
    job = JOBS.get(entry.name)
    if job is None or job.schedule is None or entry.periodic_task is None:
        return
    task = entry.periodic_task
    _apply_code_schedule(task, job)
    task.enabled = job.enabled
    task.save()
    entry.code_schedule = job.schedule.describe()
    entry.code_enabled = job.enabled
    entry.save(update_fields=["code_schedule", "code_enabled", "synced_at"])
