"""L5, L6, L8 with a real Celery worker on the real Redis broker."""

from __future__ import annotations

import time

import pytest

from core.redis import state_redis
from pipelines import services
from pipelines.models import JobRun
from pipelines.registry import JOBS
from tests.pipelines.conftest import CALLS, GATE

pytestmark = pytest.mark.django_db(transaction=True)

FINISHED = {"succeeded", "failed", "skipped"}


def wait_for(run: JobRun, *, statuses=FINISHED, timeout: float = 20) -> JobRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run.pk} still {run.status}")


def test_run_now_runs_on_the_branch_queue_and_records_the_run(declare, worker):
    @declare("t.collect", branch="data")
    def collect(run):
        run.progress(50, "half way")
        CALLS.append("collect")

    worker()
    run = wait_for(services.job_run_now(name="t.collect"))

    assert run.status == "succeeded"
    assert run.trigger == "manual"
    assert run.progress == 100
    assert run.started_at and run.finished_at and run.duration_ms is not None
    assert run.worker  # the worker's host name
    assert CALLS == ["collect"]
    events = state_redis().xrange("pipelines:events")
    statuses = [e[1]["status"].strip('"') for e in events if e[1]["job"] == '"t.collect"']
    assert statuses == ["queued", "running", "running", "succeeded"]  # progress is an event too


def test_dependencies_run_first(declare, worker):
    @declare("t.fetch", branch="data")
    def fetch(run):
        CALLS.append("fetch")

    @declare("t.analyse", branch="ai", depends_on=["t.fetch"])
    def analyse(run):
        CALLS.append("analyse")

    worker()
    run = wait_for(services.job_run_now(name="t.analyse"))

    assert run.status == "succeeded"
    assert CALLS == ["fetch", "analyse"]
    dependency = JobRun.objects.get(job="t.fetch")
    assert dependency.trigger == "dependency" and dependency.parent_id == run.pk


def test_a_failed_dependency_fails_the_run_without_running_it(declare, worker):
    @declare("t.broken", branch="data", max_retries=0)
    def broken(run):
        raise RuntimeError("feed down")

    @declare("t.after", branch="ai", depends_on=["t.broken"], max_retries=0)
    def after(run):
        CALLS.append("after")

    worker()
    run = wait_for(services.job_run_now(name="t.after"))

    assert run.status == "failed"
    assert run.error == "dependency t.broken failed"
    assert CALLS == []


def test_an_overlapping_run_is_skipped_and_recorded(declare, worker):
    @declare("t.slow", branch="cleanup")
    def slow(run):
        CALLS.append("slow")
        GATE.wait(10)

    worker()
    first = services.job_run_now(name="t.slow")
    wait_for(first, statuses={"running"})
    second = wait_for(services.job_run_now(name="t.slow"))
    GATE.set()
    first = wait_for(first)

    assert second.status == "skipped"
    assert "already running" in second.error
    assert first.status == "succeeded"
    assert CALLS == ["slow"]


def test_a_failure_records_the_traceback_and_retries(declare, worker):
    attempts = []

    @declare("t.flaky", branch="image", max_retries=1, retry_backoff_seconds=0)
    def flaky(run):
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first attempt fails")

    worker()
    first = wait_for(services.job_run_now(name="t.flaky"))
    deadline = time.monotonic() + 20
    while not JobRun.objects.filter(job="t.flaky", trigger="retry", status="succeeded").exists():
        assert time.monotonic() < deadline, list(JobRun.objects.values("trigger", "status"))
        time.sleep(0.05)

    assert first.status == "failed"
    assert "ValueError: first attempt fails" in first.error
    assert 'raise ValueError("first attempt fails")' in first.traceback
    retry = JobRun.objects.get(job="t.flaky", trigger="retry")
    assert retry.attempt == 2


def test_run_branch_runs_enabled_jobs_dependencies_first_then_priority(
    declare, worker, monkeypatch
):
    for job in JOBS.values():  # the branch's real jobs are not what this test orders
        if job.branch == "ai":
            monkeypatch.setattr(job, "enabled", False)
    for name, priority, depends in (
        ("t.z_low", 9, ()),
        ("t.high", 0, ("t.base",)),
        ("t.base", 5, ()),
    ):

        def body(run, name=name):
            CALLS.append(name)

        declare(name, branch="ai", priority=priority, depends_on=depends)(body)

    worker()
    runs = services.branch_run_now(branch="ai")
    for run in runs:
        wait_for(run)

    ours = [name for name in CALLS if name.startswith("t.")]
    assert ours == ["t.base", "t.high", "t.z_low"]


def test_prune_job_deletes_runs_older_than_the_retention(worker, settings):
    from django.utils import timezone

    old = JobRun.objects.create(job="x", branch="data", trigger="manual", status="succeeded")
    JobRun.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timezone.timedelta(days=31))
    recent = JobRun.objects.create(job="x", branch="data", trigger="manual", status="succeeded")
    worker()

    run = wait_for(services.job_run_now(name="pipelines.prune_runs"))

    assert run.status == "succeeded"
    assert run.progress_message == "deleted 1 runs"
    assert not JobRun.objects.filter(pk=old.pk).exists()
    assert JobRun.objects.filter(pk=recent.pk).exists()


def test_command_run_waits_and_reports_the_outcome(declare, worker):
    from io import StringIO

    from django.core.management import call_command

    @declare("t.report", branch="ai")
    def report(run):
        run.progress(60, "scoring")

    worker()
    out = StringIO()
    call_command("pipelines", "run", "t.report", "--wait", "--timeout", "30", stdout=out)

    assert "succeeded in" in out.getvalue()


def test_a_run_left_running_by_a_lost_worker_is_marked_failed_by_the_next(declare, worker):
    @declare("t.heavy", branch="image")
    def heavy(run):
        CALLS.append("heavy")

    orphan = JobRun.objects.create(
        job="t.heavy", branch="image", trigger="schedule", status="running"
    )
    worker()

    run = wait_for(services.job_run_now(name="t.heavy"))
    orphan.refresh_from_db()

    assert run.status == "succeeded"
    assert orphan.status == "failed"
    assert orphan.error.startswith("worker lost")


def test_a_dependency_already_running_elsewhere_is_waited_for_not_failed(declare, worker):
    @declare("t.source", branch="data")
    def source(run):
        CALLS.append("source")
        GATE.wait(10)

    @declare("t.consumer", branch="ai", depends_on=["t.source"])
    def consumer(run):
        CALLS.append("consumer")

    worker()
    first_source = services.job_run_now(name="t.source")
    wait_for(first_source, statuses={"running"})
    consumer_run = services.job_run_now(name="t.consumer")
    time.sleep(1)  # the consumer is now waiting on the running source
    GATE.set()

    consumer_run = wait_for(consumer_run)

    assert consumer_run.status == "succeeded"
    assert CALLS == ["source", "consumer"]  # the source ran once, not twice at once
    waited = JobRun.objects.get(job="t.source", trigger="dependency")
    assert waited.status == "skipped" and "waited for it: succeeded" in waited.error


def test_a_run_queued_by_its_still_running_dependency_waits_for_its_outcome(declare, worker):
    # The news crawl queues the analysis (its dependencies not run) before the crawl's own run is
    # recorded as finished; the analysis waits for that run, so it works on all it stored.
    @declare("t.producer", branch="data")
    def producer(run):
        services.job_run_now(name="t.follower", include_dependencies=False)
        CALLS.append("producer")
        GATE.wait(10)

    @declare("t.follower", branch="ai", depends_on=["t.producer"], max_retries=0)
    def follower(run):
        CALLS.append("follower")

    worker()
    producer_run = services.job_run_now(name="t.producer")
    wait_for(producer_run, statuses={"running"})
    time.sleep(1)  # the follower was queued and is waiting on the running producer
    assert not JobRun.objects.filter(job="t.follower", finished_at__isnull=False).exists()
    GATE.set()

    follower_run = wait_for(JobRun.objects.filter(job="t.follower").get())

    assert wait_for(producer_run).status == "succeeded"
    assert follower_run.status == "succeeded"
    assert CALLS == ["producer", "follower"]


def test_a_run_queued_without_its_dependencies_is_not_failed_for_them(declare, worker):
    # What `crawl_news` did on a fresh install: the crawl never ran as a job, and the analysis it
    # queued failed, every retry too, on "dependency ... has not run".
    @declare("t.never", branch="data")
    def never(run):
        CALLS.append("never")

    @declare("t.after", branch="ai", depends_on=["t.never"], max_retries=0)
    def after(run):
        CALLS.append("after")

    worker()
    run = wait_for(services.job_run_now(name="t.after", include_dependencies=False))

    assert (run.status, run.error) == ("succeeded", "")
    assert CALLS == ["after"]  # its dependency was neither run nor required


def test_a_branch_run_requires_only_the_dependencies_it_ran(declare, worker, monkeypatch):
    for job in JOBS.values():  # the branch's real jobs are not what this test runs
        if job.branch == "ai":
            monkeypatch.setattr(job, "enabled", False)

    @declare("t.other_branch", branch="data")
    def other_branch(run):
        CALLS.append("other_branch")

    @declare("t.broken_base", branch="ai", max_retries=0)
    def broken_base(run):
        raise ValueError("no data")

    @declare("t.on_other", branch="ai", depends_on=["t.other_branch"], max_retries=0)
    def on_other(run):
        CALLS.append("on_other")

    @declare("t.on_broken", branch="ai", depends_on=["t.broken_base"], max_retries=0)
    def on_broken(run):
        CALLS.append("on_broken")

    worker()
    runs = {run.job: run for run in services.branch_run_now(branch="ai")}
    for run in runs.values():
        wait_for(run)

    # The data branch's job is not part of an ai branch run: never having run fails nothing.
    assert runs["t.on_other"].status == "succeeded"
    # The broken base ran just before in the same branch run: what depends on it does not run.
    assert runs["t.on_broken"].status == "failed"
    assert runs["t.on_broken"].error == "dependency t.broken_base failed"
    assert CALLS == ["on_other"]
