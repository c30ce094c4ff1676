"""Fault (b): the worker process running a data-branch job is killed (SIGKILL) mid-way; the job
runs again at once and its re-run adds no duplicate rows.

A real `celery worker` process (prefork, one child) on the real broker runs the news crawl of two
feeds from a local HTTP server. The first feed's articles are stored (the run record says 50 %)
while the second feed hangs; then the child running the job is killed, as the OOM killer would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import format_datetime
from pathlib import Path

import psutil
import pytest
from django.utils import timezone

from config.celery import app as celery_app
from news.models import Article, FeedSource
from pipelines import services as pipeline_services
from pipelines.models import JobRun
from pipelines.registry import JOBS
from tests.faults.conftest import server_env
from tests.localhttp import LocalHttpServer

pytestmark = pytest.mark.django_db(transaction=True)  # the worker process sees committed rows

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120
WAIT_SECONDS = 90


def _rss(feed: str) -> bytes:
    published = format_datetime(timezone.now())
    items = "".join(
        f"<item><title>{feed} story {n}</title><link>https://{feed}.example/news/{n}</link>"
        f"<description>Story {n}.</description><pubDate>{published}</pubDate></item>"
        for n in range(3)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>{items}' \
        "</channel></rss>".encode()  # fmt: skip


class Feeds(LocalHttpServer):
    """Feeds /a and /b. Requests to /b hang (until ``release``) while ``hang_b`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.hang_b = threading.Event()
        self.released = threading.Event()
        self.hang_b.set()

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
        if path == "/b" and self.hang_b.is_set():
            self.released.wait(WAIT_SECONDS)
        return 200, {"Content-Type": "application/rss+xml"}, _rss(path.strip("/"))

    def hits(self, path: str) -> int:
        return sum(request["path"] == path for request in self.requests)


class Worker:
    """`celery worker` on the data queue: a main process and one prefork child."""

    def __init__(self) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        env = server_env(NEWS_FETCH_TIMEOUT_SECONDS="60", NEWS_FETCH_CONCURRENCY="2")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "-Q", "data",
             "-P", "prefork", "-c", "1", "-n", f"faults-{os.getpid()}@%h", "--without-mingle",
             "--without-gossip", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def log_tail(self, size: int = 4000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def child(self) -> psutil.Process:
        return psutil.Process(self.process.pid).children()[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self.log.close()


def _wait(condition, what: str, worker: Worker, seconds: float = WAIT_SECONDS) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.process.poll() is None, f"the worker exited:\n{worker.log_tail()}"
        assert time.monotonic() < deadline, f"{what}\n{worker.log_tail()}"
        time.sleep(0.1)


@pytest.fixture
def crawl() -> Iterator[tuple[Feeds, Worker]]:
    """Two feed sources on a local server, and a worker process on the data queue."""
    feeds = Feeds()
    FeedSource.objects.create(name="a", url=f"{feeds.url}/a", language="en")
    FeedSource.objects.create(name="b", url=f"{feeds.url}/b", language="en")
    celery_app.control.purge()  # what earlier tests queued without a worker
    worker = Worker()
    yield feeds, worker
    worker.stop()
    feeds.released.set()
    feeds.close()
    celery_app.control.purge()  # the analysis the crawl queued on the ai branch


def _half_way(run: JobRun, feeds: Feeds, fetches_of_b: int) -> Callable[[], bool]:
    """Feed a is stored (the run says 50 %) and feed b is being fetched for the nth time."""

    def check() -> bool:
        run.refresh_from_db()
        return run.progress == 50 and feeds.hits("/b") == fetches_of_b

    return check


def _finished(run: JobRun) -> Callable[[], bool]:
    def check() -> bool:
        run.refresh_from_db()
        return run.finished_at is not None

    return check


def test_a_job_whose_worker_is_killed_mid_way_runs_again_without_duplicates(crawl):
    feeds, worker = crawl
    run = pipeline_services.job_run_now(name="news.crawl_feeds")
    _wait(_half_way(run, feeds, 1), "the crawl never got half-way", worker, START_SECONDS)
    assert Article.objects.count() == 3  # feed a's articles are committed already

    worker.child().send_signal(signal.SIGKILL)  # mid-way: feed b is still being fetched
    feeds.hang_b.clear()
    feeds.released.set()

    _wait(_finished(run), "the killed run never ran again", worker)
    assert run.status == "succeeded", (run.status, run.error)
    assert feeds.hits("/a") == 2 and feeds.hits("/b") == 2  # the crawl ran twice
    urls = list(Article.objects.values_list("url", flat=True))
    assert len(urls) == len(set(urls)) == 6  # each article once: no duplicates
    assert not JobRun.objects.filter(job="news.crawl_feeds", status="running").exists()


def test_a_job_that_kills_its_worker_every_time_is_given_up_after_its_retries(crawl):
    feeds, worker = crawl
    run = pipeline_services.job_run_now(name="news.crawl_feeds")
    runs = JOBS["news.crawl_feeds"].max_retries + 1  # the first run and one per retry
    for attempt in range(1, runs + 1):
        _wait(_half_way(run, feeds, attempt), f"run {attempt} never got half-way", worker,
              START_SECONDS)  # fmt: skip
        worker.child().send_signal(signal.SIGKILL)

    _wait(_finished(run), "the run was never given up", worker)
    assert run.status == "failed" and run.error.startswith(f"worker lost {runs} times"), run.error
    assert feeds.hits("/b") == runs  # not run again after that
    assert Article.objects.count() == 3  # feed a's, once, however often it ran
