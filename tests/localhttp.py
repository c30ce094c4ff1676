"""A local HTTP server for tests that fake what is outside our walls (feeds, market data APIs)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalHttpServer:
    """Serves GETs on 127.0.0.1 from ``answer``; records each request's path and headers.

    Subclasses override ``answer(path, headers) -> (status, headers, body)``; a ``body`` that is
    an iterable of chunks rather than bytes is sent chunk by chunk, as it yields them.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append({"path": self.path, **dict(self.headers)})
                status, headers, body = server.answer(self.path, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if isinstance(body, bytes):
                    self.wfile.write(body)
                    return
                # Chunks sent as the iterable yields them (a slow or endless feed), until the
                # client hangs up.
                try:
                    for chunk in body:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(
        self, path: str, headers: Message
    ) -> tuple[int, dict[str, str], bytes | Iterable[bytes]]:
        raise NotImplementedError

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
