"""Which websocket handshakes get through, by their Origin header.

A browser always sends Origin on a websocket handshake, and sends the site's session cookie with
it whichever page opened the socket: a page of another site must be refused, or it would act as
the signed-in user (cross-site websocket hijacking). Native clients (the mobile apps' websocket
libraries, curl, Python `websockets`) send no Origin and authenticate with `?token=`.

So: a handshake with an Origin must name one of ALLOWED_HOSTS, as Channels'
AllowedHostsOriginValidator checks; one without an Origin is let through with its Cookie header
removed, so the session cookie never authenticates it (a token still does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class OriginOrNoCookieValidator:
    """Wraps the websocket application (outside the auth middleware) with the rule above."""

    def __init__(self, application: ASGIApp) -> None:
        self.application = application
        self.with_origin = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope.get("headers", [])
        if any(name == b"origin" for name, _value in headers):
            return await self.with_origin(scope, receive, send)
        # ASGI header names are lower-case. Without the cookie the auth middleware finds no
        # session: the socket is anonymous unless it brings a token.
        scope = {**scope, "headers": [(n, v) for n, v in headers if n != b"cookie"]}
        return await self.application(scope, receive, send)
