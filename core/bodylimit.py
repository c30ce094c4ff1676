"""An ASGI limit on request bodies, in front of Django.

Django's ASGI handler reads a whole request body into a temporary file (memory, then disk)
before any view, upload handler or DATA_UPLOAD_MAX_MEMORY_SIZE check runs, and uvicorn sets no
limit either: one client announcing 10 GB would have it written to the server's disk. This
refuses a body over REQUEST_MAX_BODY_BYTES with a 413 — at once when its Content-Length says so,
or as soon as a chunked body passes it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)

from core.api import error_body

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _language(scope: Scope) -> str:
    """The Accept-Language choice LocaleMiddleware would make; no request exists yet."""
    header = dict(scope.get("headers", [])).get(b"accept-language", b"")
    for code, _quality in parse_accept_lang_header(header.decode("latin-1")):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    with translation.override(_language(scope)):
        detail = _("The request body is over %(bytes)d bytes.") % {"bytes": limit}
    body = json.dumps(error_body(detail, "payload_too_large")).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.REQUEST_MAX_BODY_BYTES
        announced = dict(scope.get("headers", [])).get(b"content-length", b"")
        if announced.isdigit() and int(announced) > limit:
            await _refuse(scope, send, limit)
            return
        received = 0
        is_over = is_answered = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, is_over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django takes a disconnect as the client gone and answers nothing.
                    is_over = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message: dict[str, Any]) -> None:
            nonlocal is_answered
            is_answered = is_answered or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if is_over and not is_answered:
            await _refuse(scope, send, limit)
