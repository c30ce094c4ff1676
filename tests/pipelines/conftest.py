from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from pipelines import registry
from pipelines.registry import job

CALLS: list[str] = []
GATE = threading.Event()


@pytest.fixture
def declare():
    """Declare jobs for one test only: the real catalogue is restored afterwards."""
    saved = dict(registry.JOBS)
    CALLS.clear()
    GATE.clear()

    def declare_job(name: str, **options):
        def decorate(function):
            return job(name=name, **options)(function)

        return decorate

    yield declare_job
    registry.JOBS.clear()
    registry.JOBS.update(saved)


@pytest.fixture
def worker() -> Iterator[Callable[[], None]]:
    """Start a real Celery worker (in a thread) consuming every branch queue from the real broker.

    Call it after declaring the test's jobs: a worker only knows the tasks registered when it
    starts.
    """
    with contextlib.ExitStack() as stack:

        def start() -> None:
            # Messages an earlier test queued without a worker (an on_commit run-now) must not
            # run in this test.
            celery_app.control.purge()
            stack.enter_context(
                start_worker(
                    celery_app,
                    queues=["data", "cache", "image", "ai", "cleanup", "default"],
                    perform_ping_check=False,
                    shutdown_timeout=20,
                    pool="threads",
                    concurrency=2,
                )
            )

        yield start
