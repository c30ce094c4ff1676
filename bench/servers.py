"""What the benchmarks share about the servers they start: a free port, the uvicorn command."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def uvicorn_command(
    port: int, *, app: str = "config.asgi:application", extra: tuple[str, ...] = ()
) -> list[str]:
    """One uvicorn process on 127.0.0.1:``port``, as every benchmark runs it."""
    return [
        str(BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port),
        "--lifespan", "off", "--log-level", "warning", "--no-access-log", *extra,
    ]  # fmt: skip
