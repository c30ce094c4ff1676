"""Pipelines measured (run by bench/pipelines.py in a subprocess; prints one JSON object).

* sync: a catalogue of 500 jobs written into django-celery-beat (first sync, then an unchanged one);
* overhead: one empty job run end to end (queued -> recorded as succeeded) against a bare Celery
  task (queued -> done), same worker, same broker, one after the other.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import django

django.setup()

from celery.contrib.testing.worker import start_worker  # noqa: E402
from django.db.models.signals import post_save  # noqa: E402
from django_celery_beat.models import PeriodicTask  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from pipelines import services  # noqa: E402
from pipelines.models import CatalogueEntry, JobRun  # noqa: E402
from pipelines.registry import JOBS, job  # noqa: E402

RUNS = 150
done = threading.Event()


def measure_sync() -> dict:
    saved = dict(JOBS)
    for i in range(500):
        job(
            name=f"bench.sync.{i:03d}",
            branch=("data", "cache", "image", "ai", "cleanup")[i % 5],
            cron=f"{i % 60} {i % 24} * * *",
        )(lambda run: None)
    try:
        started = time.perf_counter()
        services.catalogue_sync()
        first = time.perf_counter() - started
        started = time.perf_counter()
        services.catalogue_sync()
        again = time.perf_counter() - started
    finally:
        JOBS.clear()
        JOBS.update(saved)
        CatalogueEntry.objects.filter(name__startswith="bench.sync.").delete()
        PeriodicTask.objects.filter(name__startswith="bench.sync.").delete()
    return {"jobs": 500, "first_sync_s": first, "unchanged_sync_s": again}


@celery_app.task(name="bench.bare", ignore_result=True)
def bare() -> None:
    done.set()


@job(name="bench.empty", branch="data", max_retries=0)
def empty(run) -> None:
    """An empty job."""


def _on_run_saved(sender, instance: JobRun, **kwargs) -> None:
    if instance.job == "bench.empty" and instance.status == JobRun.Status.SUCCEEDED:
        done.set()


def _timed(send) -> list[float]:
    samples = []
    for _ in range(RUNS):
        done.clear()
        started = time.perf_counter()
        send()
        if not done.wait(10):
            raise RuntimeError("run did not finish")
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": statistics.median(ordered), "p95_ms": ordered[int(0.95 * len(ordered))]}


def measure_overhead() -> dict:
    post_save.connect(_on_run_saved, sender=JobRun)
    with start_worker(
        celery_app, queues=["data"], perform_ping_check=False, pool="solo", shutdown_timeout=30
    ):
        _timed(lambda: bare.apply_async(queue="data"))  # warm both paths
        _timed(lambda: services.job_run_now(name="bench.empty"))
        results = {"bare": [], "job": []}
        for _ in range(2):  # alternate, so drift hits both
            results["bare"] += _timed(lambda: bare.apply_async(queue="data"))
            results["job"] += _timed(lambda: services.job_run_now(name="bench.empty"))
    JobRun.objects.filter(job="bench.empty").delete()
    return {name: summary(samples) for name, samples in results.items()}


if __name__ == "__main__":
    print(json.dumps({"sync": measure_sync(), "overhead": measure_overhead()}))
