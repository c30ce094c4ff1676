"""L3: the catalogue synced into django-celery-beat, staff edits kept, removed jobs disabled."""

from __future__ import annotations

import json

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from pipelines import registry, services
from pipelines.models import CatalogueEntry
from pipelines.selectors import job_overviews

pytestmark = pytest.mark.django_db


def noop(run):
    return None


def test_sync_writes_one_periodic_task_per_scheduled_job_routed_to_its_branch(declare):
    declare("t.prices", branch="data", cron="*/5 9-15 * * 1-5", priority=2)(noop)
    declare("t.on_demand", branch="ai")(noop)

    report = services.catalogue_sync()

    task = PeriodicTask.objects.get(name="t.prices")
    assert task.task == "t.prices"
    assert (task.queue, task.routing_key, task.exchange, task.priority) == (
        "data",
        "data",
        "data",
        2,
    )
    assert json.loads(task.kwargs) == {"trigger": "schedule"}
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("*/5", "9-15", "1-5")
    assert str(cron.timezone) == "Asia/Seoul"
    assert not PeriodicTask.objects.filter(name="t.on_demand").exists()
    assert CatalogueEntry.objects.filter(name="t.on_demand").exists()
    assert "t.prices" in report.created or "t.prices" in report.updated


def test_a_later_sync_keeps_a_staff_edit_and_shows_it_differs(declare):
    declare("t.news", branch="data", cron="*/5 * * * *")(noop)
    services.catalogue_sync()
    task = PeriodicTask.objects.get(name="t.news")
    # staff, in the admin: every 10 minutes instead, and switched off
    task.crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="*/10",
        hour="*",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Seoul",
    )
    task.enabled = False
    task.save()

    report = services.catalogue_sync()

    task.refresh_from_db()
    assert task.crontab.minute == "*/10"
    assert task.enabled is False
    assert any(edit.startswith("t.news") for edit in report.kept_staff_edits)
    overview = next(o for o in job_overviews() if o.name == "t.news")
    assert overview.differs_from_code
    assert overview.code_schedule == "cron */5 * * * * (Asia/Seoul)"


@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
def test_a_code_change_is_applied_when_staff_did_not_edit(declare):
    declare("t.clean", branch="cleanup", cron="0 3 * * *")(noop)
    services.catalogue_sync()
    registry.JOBS.pop("t.clean")
    declare("t.clean", branch="cleanup", cron="0 4 * * *")(noop)

    services.catalogue_sync()

    assert PeriodicTask.objects.get(name="t.clean").crontab.hour == "4"


def test_reset_puts_back_the_codes_values(declare):
    declare("t.warm", branch="cache", every=60)(noop)
    services.catalogue_sync()
    task = PeriodicTask.objects.get(name="t.warm")
    task.enabled = False
    task.save()

    services.catalogue_entry_reset(entry=CatalogueEntry.objects.get(name="t.warm"))

    task.refresh_from_db()
    assert task.enabled is True
    assert not next(o for o in job_overviews() if o.name == "t.warm").differs_from_code


def test_jobs_removed_from_code_are_disabled_not_left_running(declare):
    declare("t.legacy", branch="ai", every=300)(noop)
    services.catalogue_sync()
    registry.JOBS.pop("t.legacy")

    report = services.catalogue_sync()

    assert "t.legacy" in report.disabled_removed
    assert PeriodicTask.objects.get(name="t.legacy").enabled is False
    assert CatalogueEntry.objects.get(name="t.legacy").is_in_code is False


def test_sync_tells_beat_the_schedule_changed(declare):
    declare("t.tick", branch="data", every=30)(noop)
    before = PeriodicTasks.last_change()

    services.catalogue_sync()

    assert PeriodicTasks.last_change() is not None
    assert before is None or PeriodicTasks.last_change() > before


def test_migrate_syncs_the_product_catalogue():
    """post_migrate ran the sync when the test database was created."""
    assert PeriodicTask.objects.filter(name="pipelines.prune_runs", queue="cleanup").exists()


@pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")
def test_a_job_that_loses_and_regains_its_schedule_syncs_cleanly(declare):
    declare("t.toggle", branch="data", cron="0 6 * * *")(noop)
    services.catalogue_sync()
    registry.JOBS.pop("t.toggle")
    declare("t.toggle", branch="data")(noop)  # on demand only now
    services.catalogue_sync()
    assert PeriodicTask.objects.get(name="t.toggle").enabled is False
    registry.JOBS.pop("t.toggle")
    declare("t.toggle", branch="data", cron="0 7 * * *")(noop)  # scheduled again

    services.catalogue_sync()

    task = PeriodicTask.objects.get(name="t.toggle")
    assert task.enabled is True
    assert task.crontab.hour == "7"


def test_a_job_removed_and_restored_in_code_is_enabled_again(declare):
    declare("t.back", branch="ai", every=120)(noop)
    services.catalogue_sync()
    saved = registry.JOBS.pop("t.back")
    services.catalogue_sync()
    assert PeriodicTask.objects.get(name="t.back").enabled is False
    registry.JOBS["t.back"] = saved

    services.catalogue_sync()

    assert PeriodicTask.objects.get(name="t.back").enabled is True
    overview = next(o for o in job_overviews() if o.name == "t.back")
    assert not overview.differs_from_code
