"""A websocket client that never reads: the slow-client and fault tests' one copy."""

from __future__ import annotations

import base64
import os
import socket


def stalled_websocket(port: int, path: str) -> socket.socket:
    """A websocket client on 127.0.0.1:``port`` that completes the handshake for ``path`` and
    never reads again (a tiny receive buffer, so the server's writes back up at once)."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    client.sendall(
        (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
         "Origin: http://127.0.0.1\r\n\r\n").encode()
    )  # fmt: skip
    assert b"101" in client.recv(12)
    return client
