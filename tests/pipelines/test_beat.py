"""Beat (L3, item 11-12): every due job is loaded and sent; one leader; a standby takes over."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app as celery_app
from core.redis import state_redis
from pipelines.beat import LEADER_KEY, PipelineScheduler

ROOT = Path(__file__).resolve().parents[2]


def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_hour_is_far_from_now_is_loaded_and_sent():
    # django-celery-beat 2.8+ loads only crontabs whose hour, in UTC, is within 2 of the UTC hour
    # now, or is 4 (celery's clean-up): pick one 11-12 hours away that is not 4.
    far_utc_hour = (timezone.now().hour + 12) % 24
    if far_utc_hour == 4:
        far_utc_hour = 3
    far_hour = (far_utc_hour + 9) % 24  # the same hour in Asia/Seoul (UTC+9, no DST)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour=str(far_hour),
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Seoul",
    )
    PeriodicTask.objects.create(
        name="far.hour",
        task="far.hour",
        crontab=crontab,
        queue="data",
        routing_key="data",
        exchange="data",
        last_run_at=timezone.now() - datetime.timedelta(days=2),
    )
    _broker().delete("data")

    stock = DatabaseScheduler(app=celery_app, lazy=True)
    ours = PipelineScheduler(app=celery_app, lazy=True)

    assert "far.hour" not in stock.all_as_schedule()  # what 2.8+ does on its own
    assert "far.hour" in ours.all_as_schedule()
    ours.setup_schedule()
    ours.tick()
    assert _broker().llen("data") == 1  # the missed run is sent


def test_one_leader_at_a_time_and_a_standby_takes_over():
    state_redis().delete(LEADER_KEY)
    first = PipelineScheduler.__new__(PipelineScheduler)
    second = PipelineScheduler.__new__(PipelineScheduler)
    for scheduler, token in ((first, "first"), (second, "second")):
        scheduler._token, scheduler._is_leading = token, False

    assert first._lead() is True
    assert second._lead() is False
    assert first._lead() is True  # renewal
    assert 0 < state_redis().pttl(LEADER_KEY) <= settings.PIPELINES_BEAT_LOCK_TTL_SECONDS * 1000

    state_redis().delete(LEADER_KEY)  # the first died and its lease ran out
    assert second._lead() is True
    assert first._lead() is False


@pytest.fixture
def beat_environment(scratch_services):
    """A migrated scratch database with a job every second, for real beat processes."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS_", "CELERY_")) and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        scratch_services,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        PIPELINES_BEAT_LOCK_TTL_SECONDS="6",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    setup = (
        "import django; django.setup();"
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask;"
        "every, _ = IntervalSchedule.objects.get_or_create(every=1, period='seconds');"
        "PeriodicTask.objects.create(name='tick', task='tick', interval=every, queue='data',"
        " routing_key='data', exchange='data')"
    )
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, timeout=60)
    return env


class Beat:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "config",
                "beat",
                "--pidfile=",
                "-S",
                "pipelines.beat:PipelineScheduler",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)

    def is_leading(self) -> bool:
        marks = [
            line for line in self.output if re.search(r"beat \w+: (leading|standing by)", line)
        ]
        return bool(marks) and "leading" in marks[-1]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(30)


def _sent(env: dict[str, str]) -> int:
    return redis.Redis.from_url(env["CELERY_BROKER_URL"]).llen("data")


def test_a_second_beat_does_not_double_send_and_takes_over(beat_environment):
    env = beat_environment
    beats = [Beat(env), Beat(env)]
    try:
        deadline = time.monotonic() + 60
        while not any(b.is_leading() for b in beats):
            assert time.monotonic() < deadline, "".join(beats[0].output + beats[1].output)
            time.sleep(0.2)
        time.sleep(2)
        start, started_at = _sent(env), time.monotonic()
        time.sleep(6)
        rate = (_sent(env) - start) / (time.monotonic() - started_at)
        assert 0.5 <= rate <= 1.5, rate  # one job per second: one beat sends, not two

        leader = next(b for b in beats if b.is_leading())
        standby = next(b for b in beats if b is not leader)
        leader.stop(signal.SIGKILL)  # dies without releasing its lease
        killed_at, before = time.monotonic(), _sent(env)
        while _sent(env) == before or not standby.is_leading():
            assert time.monotonic() - killed_at < 60, "".join(standby.output[-20:])
            time.sleep(0.2)
        assert time.monotonic() - killed_at < 60
    finally:
        for beat in beats:
            beat.stop(signal.SIGKILL)
