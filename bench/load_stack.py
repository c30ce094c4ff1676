"""The `make run` stack that `make load` drives: started for the run (its own .var folder and port)
or an already running one, and manage.py calls on its services.

Standard library only: this runs before any Django set-up, like scripts/devstack.py.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEVSTACK = ROOT / "scripts" / "devstack.py"
DEFAULT_LOAD_VAR = ROOT / ".var" / "load"

# One load generator IP would otherwise be refused after 120/600 requests a minute (F7). Chat
# sends keep their per-user limit (60/min): each virtual user posts far less than that.
RAISED_LIMITS = {
    "RATE_LIMIT_ANON_PER_MINUTE": "100000000",
    "RATE_LIMIT_USER_PER_MINUTE": "100000000",
    "RATE_LIMIT_LOGIN_PER_MINUTE": "100000",
}

_PR_SET_PDEATHSIG = 1
try:
    _LIBC = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform == "linux" else None
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    # If this load generator is killed outright, the launcher still gets SIGTERM and stops the
    # stack in order (devstack.py handles SIGTERM like Ctrl-C).
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        with contextlib.suppress(ValueError):
            return exc.code, json.loads(exc.read() or b"{}")
        return exc.code, {}


def wait_ready(base: str, *, timeout_seconds: float, alive: callable = lambda: True) -> None:
    """Until /readyz answers 200 (database, Redis and broker up), or raise."""
    deadline = time.monotonic() + timeout_seconds
    last = "no answer"
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the stack exited during start-up")
        try:
            status, body = get_json(f"{base}/readyz", timeout=2)
        except OSError as exc:
            last = str(exc)
        else:
            if status == 200 and body.get("status") == "ready":  # not "degraded"
                return
            last = f"{status} {body}"
        time.sleep(0.5)
    raise RuntimeError(f"{base}/readyz not ready in {timeout_seconds:.0f}s ({last})")


class Stack:
    """`scripts/devstack.py run` in its own session with its own INSIGHTSTOCK_VAR_DIR and port."""

    def __init__(
        self, var_dir: Path, *, port: int, web_concurrency: int, ws_deflate: bool, access_log: bool
    ):
        self.var_dir = var_dir
        self.port = port
        self.log_path = var_dir / "load-stack.log"
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            **RAISED_LIMITS,
            "INSIGHTSTOCK_VAR_DIR": str(var_dir),
            "WEB_CONCURRENCY": str(web_concurrency),
            "WEB_WS_PER_MESSAGE_DEFLATE": "true" if ws_deflate else "false",
            "PYTHONUNBUFFERED": "1",
            # The demo news feeds are served by the site itself, on this port (not 8000).
            "NEWS_DEMO_FEED_BASE_URL": f"http://127.0.0.1:{port}",
        }
        # The stack's own database and Redis, never ones set for something else.
        for name in ("DATABASE_URL", "REDIS_URL", "PORT", "HOST"):
            self.env.pop(name, None)
        if not access_log:
            # uvicorn reads UVICORN_* for options not given on its command line: one log line per
            # request would make the launcher's output pump a second hot loop on 2 cores.
            self.env["UVICORN_ACCESS_LOG"] = "false"
        self._log: IO[str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_seconds: float = 300) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PYTHON, str(DEVSTACK), "run", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C here reaches only us, and we stop the launcher ourselves,
            # which stops web, worker, beat, then PostgreSQL and Redis, in that order.
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl call
        )
        wait_ready(self.base, timeout_seconds=timeout_seconds, alive=self.is_alive)

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, size: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-size:]
        return ""

    def logged_failures(self, context_lines: int = 40) -> str:
        """Each traceback the stack logged, with the lines after it: why a request failed."""
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").splitlines()
            shown: list[str] = []
            for index, line in enumerate(lines):
                if "Traceback (most recent call last)" in line:
                    shown += ["...", *lines[max(0, index - 2) : index + context_lines]]
            return "\n".join(shown[-400:])
        return ""

    def stop(self) -> int | None:
        """SIGINT to the launcher (its Ctrl-C path), then wait; SIGKILL of its group only if it
        is stuck past devstack's own grace period. Returns its exit code."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
            try:
                code = self.process.wait(60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                code = self.process.wait()
        if self._log is not None:
            self._log.close()
        self.process = None
        return code


def manage_env(var_dir: Path) -> dict[str, str]:
    env = {**os.environ, "INSIGHTSTOCK_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


def manage_python(
    var_dir: Path, code: str, *, timeout: float = 300, env: dict[str, str] | None = None
) -> str:
    """Run ``code`` in `manage.py shell -c` on the running stack's services (its services.env,
    through `devstack.py manage`) and return its standard output."""
    if not (var_dir / "services.env").exists():
        raise RuntimeError(
            f"no running stack's services under {var_dir} (services.env); pass --var-dir"
        )
    with tempfile.TemporaryFile("w+") as errors:
        result = subprocess.run(
            [PYTHON, str(DEVSTACK), "manage", "shell", "-c", code],
            cwd=ROOT,
            env={**manage_env(var_dir), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"manage.py shell failed ({result.returncode}):\n{errors.read()}")
    return result.stdout


def last_json_line(output: str) -> object:
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith(("{", "[")):
            return json.loads(line)
    raise RuntimeError(f"no JSON in manage.py output:\n{output[-2000:]}")


_PREPARE = """
import json
from django.contrib.auth.hashers import make_password
from django.db import transaction
from accounts.models import User
from chat import services as chat_services
from chat.models import Membership, Room
from news import services as news_services
from news.demo import DEMO_FEEDS, demo_feed_url
from news.models import Article, FeedSource

password = make_password({password!r})  # hashed once: {count} users need not cost {count} hashes
names = [f"load-user-{{i:04d}}" for i in range({count})]
with transaction.atomic():
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([
        User(username=n, email=f"{{n}}@load.invalid", password=password, is_active=True)
        for n in names if n not in existing
    ])
    User.objects.filter(username__in=names).update(password=password, is_active=True)
users = list(User.objects.filter(username__in=names))
rooms = list(Room.objects.filter(kind="public").order_by("pk")[:{rooms}])
members = set(Membership.objects.filter(room__in=rooms, user__in=users)
              .values_list("room_id", "user_id"))
for room in rooms:
    for user in users:
        if (room.pk, user.pk) not in members:
            chat_services.room_join(room=room, user=user)
# The demo feeds are served by the site itself: point them at this stack's port (seed_demo wrote
# the default one), and crawl once if there is no news yet, so news pages have articles.
for _name, file_name, _language in DEMO_FEEDS:
    FeedSource.objects.filter(url__endswith=file_name).update(url=demo_feed_url(file_name))
crawled = None
if not Article.objects.exists():
    outcome = news_services.feeds_crawl(source_ids=None, progress=lambda *a: None)
    crawled = outcome.new_articles
print(json.dumps({{"created": len(names) - len(existing), "users": names,
                  "rooms": [r.pk for r in rooms], "crawled": crawled,
                  "articles": Article.objects.count()}}))
"""


def prepare_data(var_dir: Path, *, count: int, password: str, rooms: int, base: str) -> dict:
    """Load users (created or reset), each a member of the first ``rooms`` public rooms, and news
    crawled from the demo feeds if there is none."""
    code = _PREPARE.format(count=count, password=password, rooms=rooms)
    return last_json_line(manage_python(var_dir, code, env={"NEWS_DEMO_FEED_BASE_URL": base}))


_CACHE_STATS = """
import json
from cachekit import metrics
print(json.dumps(metrics.stats()))
"""


def cache_stats(var_dir: Path) -> dict[str, dict[str, int]]:
    """cachekit's counters per namespace, as `manage.py cache stats` shows them."""
    return last_json_line(manage_python(var_dir, _CACHE_STATS))
