"""What the benchmarks share about the servers they start: a free port, the uvicorn command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO

from core.server import UVICORN_HTTP

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uvicorn_command(
    port: int,
    *,
    app: str = "config.asgi:application",
    ws_deflate: bool = False,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """One uvicorn process on 127.0.0.1:``port``, as every benchmark runs it: websocket
    permessage-deflate off unless ``ws_deflate``, as `make run` (WEB_WS_PER_MESSAGE_DEFLATE), and
    the site's own HTTP protocol (request heads bounded in size and time) for the site."""
    site_http = ("--http", UVICORN_HTTP) if app == "config.asgi:application" else ()
    return [
        str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port), *site_http,
        "--lifespan", "off", "--log-level", "warning", "--no-access-log",
        "--ws-per-message-deflate", "true" if ws_deflate else "false",
        # A socket stuck in the layer's blocking read must not hold the process on SIGTERM.
        "--timeout-graceful-shutdown", "5", *extra,
    ]  # fmt: skip


class UvicornServer:
    """A uvicorn process of this site in its own session, with its log kept for errors."""

    def __init__(self, mode: str, env: dict[str, str]) -> None:
        self.mode = mode
        self.port = free_port()
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            uvicorn_command(self.port),
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, size: int = 3000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"uvicorn ({self.mode}) exited with {self.process.returncode}:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(
            f"uvicorn ({self.mode}) did not answer /healthz in time:\n" + self.log_tail()
        )

    def stop(self) -> None:
        """SIGTERM the server's process group, SIGKILL it if it is still there after 10 s."""
        try:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGTERM)
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(10)
                except ProcessLookupError:
                    pass
        finally:
            self.log.close()
