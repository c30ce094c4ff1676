"""uvicorn's HTTP protocol with the request head bounded in size and in time.

uvicorn's httptools protocol (the one `uvicorn[standard]` picks) sets no limit on a request's
head: a 64 MB header was read into memory and answered, and a connection that sent nothing, or
half a head, was never timed out (uvicorn's keep-alive timer runs only between requests, and
stops at the first byte of the next). A websocket upgrade whose request line is over the
websockets library's 8 KiB got no answer at all. This subclass refuses a head over
REQUEST_MAX_HEADER_BYTES with 431 (414 for the URL alone) as soon as that many bytes arrived,
closes a connection whose head is not complete REQUEST_HEADER_TIMEOUT_SECONDS after it opened
(or after the head's first byte, on a kept-alive connection) with 408, and answers an upgrade
the websocket protocol could not parse with 414/431 before handing it over.

Every server of the site runs it: `make run` (scripts/devstack.py), the benchmarks and the
tests' real servers (bench/servers.py, tests/conftest.py) pass UVICORN_HTTP to uvicorn.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

from django.conf import settings
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.http11 import MAX_LINE_LENGTH, MAX_NUM_HEADERS

# `--http` for uvicorn's command line, or `http=` of uvicorn.Config.
UVICORN_HTTP = "core.server:BoundedHttpToolsProtocol"
# After a refusal, bytes still arriving are read and dropped for this long before the socket
# closes: closing with unread data sends a reset, which can discard the answer at the client.
LINGER_SECONDS = 2.0
# Between a head's deadline and its refusal: one turn of the event loop's socket polling.
CONFIRM_SECONDS = 0.05
# Framing around the URL and each header in a head ("GET ", " HTTP/1.1\r\n", ": ", "\r\n").
_LINE_OVERHEAD = 16


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_head_bytes: int = settings.REQUEST_MAX_HEADER_BYTES
        self._head_timeout: float = settings.REQUEST_HEADER_TIMEOUT_SECONDS
        self._head_timer: asyncio.TimerHandle | None = None
        self._is_reading_head = True  # the first request's head is awaited from the start
        self._head_bytes = 0
        self._heads_completed = 0
        self._is_refused = False

    # Timer over the head: armed when a head is awaited, disarmed when it is complete.
    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        # Confirmed a moment later: uvloop runs due timers before it polls the sockets, so after
        # a stalled loop a head already waiting in the kernel would be refused unread.
        self._head_timer = self.loop.call_later(CONFIRM_SECONDS, self._head_timed_out_confirmed)

    def _head_timed_out_confirmed(self) -> None:
        self._head_timer = None
        if self._is_refused or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head behind a response still being written: answer after it.
            self._arm_head_timer()
            return
        if self._head_bytes or getattr(self, "url", b"") or self.headers:
            self._refuse(http.HTTPStatus.REQUEST_TIMEOUT, "The request head took too long.")
        else:
            self.transport.close()  # nothing sent at all: nobody to answer

    def _refuse(self, status: http.HTTPStatus, message: str) -> None:
        """Answer ``status`` and close; data still arriving is dropped, not parsed."""
        self._is_refused = True
        self._is_reading_head = False
        self._disarm_head_timer()
        self.logger.warning("Refused a request head: %s %s", status.value, message)
        body = message.encode()
        head = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [b"content-type: text/plain; charset=utf-8",
                 b"content-length: " + str(len(body)).encode(), b"connection: close"]  # fmt: skip
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _head_size(self) -> int:
        return len(self.url) + sum(len(n) + len(v) + _LINE_OVERHEAD for n, v in self.headers)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._is_refused:
            return
        # A chunk is all head only if a head was awaited when it came and none completed in it.
        was_reading_head, heads_completed = self._is_reading_head, self._heads_completed
        super().data_received(data)
        if self._is_refused or self.transport.is_closing() or not self._is_reading_head:
            return
        if was_reading_head and heads_completed == self._heads_completed:
            self._head_bytes += len(data)
            if self._head_bytes > self._max_head_bytes:
                self._refuse(
                    http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    f"The request head is over {self._max_head_bytes} bytes.",
                )

    def send_400_response(self, msg: str) -> None:
        if not self._is_refused:  # answered already: a parse error in the rest of the chunk
            super().send_400_response(msg)

    # httptools parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._is_refused:
            return
        self._is_reading_head = True
        self._head_bytes = 0
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        if self._is_refused:
            return
        self._is_reading_head = False
        self._heads_completed += 1
        self._disarm_head_timer()
        # Bytes are counted per chunk: a head that ended within one is measured exactly here.
        if len(self.url) > self._max_head_bytes:
            self._refuse(http.HTTPStatus.REQUEST_URI_TOO_LONG, "The request URL is too long.")
        elif self._head_size() > self._max_head_bytes:
            self._refuse(
                http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"The request head is over {self._max_head_bytes} bytes.",
            )
        else:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._is_refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._is_refused:
            super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # The websocket protocol parses the head again, within the websockets library's limits;
        # a head beyond them got no answer and the socket stayed open.
        if self._is_refused:
            return
        if len(self.url) + _LINE_OVERHEAD > MAX_LINE_LENGTH:
            self._refuse(http.HTTPStatus.REQUEST_URI_TOO_LONG, "The request URL is too long.")
        elif len(self.headers) > MAX_NUM_HEADERS or any(
            len(name) + len(value) + _LINE_OVERHEAD > MAX_LINE_LENGTH
            for name, value in self.headers
        ):
            self._refuse(
                http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                "A websocket request's header line is too long, or its headers too many.",
            )
        else:
            super().handle_websocket_upgrade()
