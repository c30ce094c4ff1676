"""Request-wide handling that belongs to no app."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.db import database_unavailable, database_unavailable_response


class DatabaseUnavailableMiddleware:
    """A view (pages and the API: DRF re-raises what it does not map) that cannot get a database
    connection answers 503 instead of 500. What fails earlier, in a middleware (the session's user),
    reaches core.views.server_error, which answers the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable(exception):
            return database_unavailable_response(request)
        return None
