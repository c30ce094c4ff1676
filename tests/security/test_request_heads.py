"""Request heads are bounded in size and in time by the server (issue 16, defect 5), on a real
uvicorn process started as every server of the site is (bench.servers.uvicorn_command), spoken
to with raw sockets: a 64 MB header was read whole and answered 200, a connection that sent
nothing or half a head stayed open for ever, and a websocket upgrade with a request line over
8 KiB got no answer."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator

import pytest

from bench.servers import UvicornServer
from tests.faults.conftest import START_SECONDS, server_env

MAX_HEADER_BYTES = 64 * 1024  # the default REQUEST_MAX_HEADER_BYTES
# Socket timeouts only bound a test that fails; the server's head timeout is 1 s here.
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def server(django_db_setup) -> Iterator[UvicornServer]:
    server = UvicornServer("heads", server_env(REQUEST_HEADER_TIMEOUT_SECONDS="1"))
    try:
        server.wait_ready(time.monotonic() + START_SECONDS)
        yield server
    finally:
        server.stop()


def _connect(server: UvicornServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_SECONDS)
    sock.settimeout(WAIT_SECONDS)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout (a failure) if it never does."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) on a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _send_until_answered(sock: socket.socket, head: bytes, chunk: bytes, total: int) -> None:
    """Send ``head`` then ``chunk`` repeatedly, up to ``total`` bytes or until the server
    answers (or stops reading)."""
    sent = 0
    try:
        sock.sendall(head)
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break  # answered
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass


def test_a_header_over_the_limit_is_431_before_it_is_all_sent(server: UvicornServer):
    with _connect(server) as sock:
        # Before the whole 64 MB is sent: without the limit the server read it all and waited.
        _send_until_answered(
            sock, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ", b"a" * 16384, 64 << 20
        )
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"connection: close" in answer.lower()
    with _connect(server) as sock:  # the server itself is fine
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


def test_many_headers_over_the_limit_in_one_send_are_431(server: UvicornServer):
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(100))  # ~100 KiB
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 431 ")


def test_heads_under_the_limit_and_large_bodies_are_served(server: UvicornServer):
    cookie = b"Cookie: c=" + b"x" * (MAX_HEADER_BYTES // 2) + b"\r\n"
    body = b"x" * (1 << 20)  # a body is not a head, whatever arrives in the same read
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cookie + b"\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(
            b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        # Django's CSRF check answers: the request reached the site, no head limit refused it.
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 403 ")


def test_a_connection_that_sends_nothing_is_closed(server: UvicornServer):
    with _connect(server) as sock:
        assert _read_until_closed(sock) == b""


def test_a_connection_that_sends_half_a_head_is_408_and_closed(server: UvicornServer):
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_half_a_second_head_on_a_kept_alive_connection_is_408(server: UvicornServer):
    # uvicorn's keep-alive timer stops at the first byte of the next request.
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 12")
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


@pytest.mark.parametrize("path", ["/ws/market/", "/ws/nowhere/"])
def test_a_websocket_upgrade_with_a_long_request_line_is_414_and_closed(
    server: UvicornServer, path: str
):
    request = (
        f"GET {path}?x={'a' * 9000} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request.encode())
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 414 ")


def test_a_websocket_upgrade_with_a_long_header_line_is_431_and_closed(server: UvicornServer):
    request = (
        "GET /ws/market/ HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n"
        f"X-Long: {'a' * 9000}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request.encode())
        assert _read_until_closed(sock).startswith(b"HTTP/1.1 431 ")


def test_an_ordinary_websocket_upgrade_is_still_accepted(server: UvicornServer):
    request = (
        "GET /ws/market/ HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with _connect(server) as sock:
        sock.sendall(request.encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 101 ")
