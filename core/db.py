"""Telling "the database cannot be reached now" apart from a bug, and answering it with a 503.

An exhausted connection pool (psycopg_pool.PoolTimeout after DB_POOL_TIMEOUT) or a database that
is down or restarting is an outage the client can wait out, not a server bug: it gets a 503 with
Retry-After, JSON under /api/ and a short page otherwise, instead of a 500.
"""

from __future__ import annotations

import psycopg
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from psycopg_pool import PoolTimeout

from core.api import error_body

# Seconds a client is told to wait: about one pool timeout, long enough for held connections to
# come back.
RETRY_AFTER_SECONDS = 5
# SQLSTATEs of a server that is going away or not accepting connections yet: class 08
# (connection exception), admin/crash shutdown, "cannot connect now" (starting up).
_UNAVAILABLE_SQLSTATES = ("57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it was raised from: Django wraps psycopg's errors) says the
    database could not be reached, as opposed to a query that failed."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, PoolTimeout):
            return True
        if isinstance(exc, psycopg.OperationalError):
            # No SQLSTATE: the server never answered (refused, lost connection).
            state = exc.sqlstate
            return state is None or state.startswith("08") or state in _UNAVAILABLE_SQLSTATES
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 of a database outage. Touches neither the database nor the request's user (the
    page is rendered without context processors): both may be what just failed."""
    detail = _("The service is temporarily unavailable, try again in a few seconds.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(error_body(detail, "service_unavailable"),
                                              status=503)  # fmt: skip
    else:
        response = HttpResponse(loader.get_template("503.html").render({"detail": detail}),
                                status=503)  # fmt: skip
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
