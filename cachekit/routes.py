"""Route-level caching (C4) for pages and DRF handlers, per user where the response is.

    @cache_response(namespace="news", ttl="news_list", depends_on=[AnyRow(NewsArticle)])
    def news_list(request): ...                         # a page

    # depends_on may be a callable of the request and the view's URL kwargs:
    @cache_response(namespace="news", ttl="news_detail",
                    depends_on=lambda request, pk: [Row(NewsArticle, pk=pk)])
    def news_detail(request, pk): ...

    class MarketView(APIView):
        @cache_response(namespace="stocks", ttl="market_snapshot", per_user=False)
        def get(self, request): ...                     # a DRF handler: caches `response.data`

The key is the method, host, scheme, path, query string, language, `Accept` and (with
``per_user``, the default) the signed-in user, so one user's private response is never served to
another; a page is also keyed by its CSRF cookie, and a page for a browser without one, a page that
showed flash messages, changed the session or set a cookie, and any response but a 200 to GET/HEAD
is never stored. Responses say `Vary: Accept, Accept-Language, Cookie, Authorization`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from rest_framework.response import Response

from cachekit.core import _digest, get_or_compute
from cachekit.dependencies import Dependency

VARY = ("Accept", "Accept-Language", "Cookie", "Authorization")


class _Uncacheable(Exception):
    """Carries a response that must be returned but not stored (not a 200)."""

    def __init__(self, response: Any) -> None:
        self.response = response


def _request_of(args: tuple) -> HttpRequest:
    # A function view gets the request first; a DRF handler method gets (self, request).
    for candidate in args[:2]:
        if hasattr(candidate, "method") and hasattr(candidate, "META"):
            return candidate
    raise TypeError("cache_response needs a view or a handler method taking the request")


def _identity(request: HttpRequest, per_user: bool) -> str:
    user = getattr(request, "user", None)
    who = "shared"
    if per_user:
        who = f"user:{user.pk}" if user is not None and user.is_authenticated else "anonymous"
    if not hasattr(request, "_request"):
        # A page embeds CSRF tokens derived from the browser's CSRF cookie: like Django's own
        # cache middleware (Vary: Cookie), a page is cached per CSRF cookie.
        who += f":csrf:{request.COOKIES.get(settings.CSRF_COOKIE_NAME, '')}"
    return who


def cache_response(
    *,
    namespace: str,
    ttl: str | float,
    depends_on: Iterable[Dependency] | Callable[..., Iterable[Dependency]] = (),
    per_user: bool = True,
    version: int = 1,
) -> Callable:
    def decorate(view: Callable) -> Callable:
        name = f"route:v{version}:{view.__module__}.{view.__qualname__}"

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = _request_of(args)
            if request.method not in ("GET", "HEAD"):
                return view(*args, **kwargs)
            key_parts = {
                "method": request.method,
                "host": request.get_host(),
                "secure": request.is_secure(),
                "path": request.path,
                "query": sorted(request.GET.lists()),
                "language": get_language(),
                "accept": request.META.get("HTTP_ACCEPT", ""),
                "who": _identity(request, per_user),
                "kwargs": kwargs,
            }
            dependencies = depends_on(request, **kwargs) if callable(depends_on) else depends_on

            def render() -> dict[str, Any]:
                response = view(*args, **kwargs)
                if not isinstance(response, Response) and not getattr(
                    response, "is_rendered", True
                ):
                    response.render()  # templates read messages and CSRF tokens while rendering
                if response.status_code != 200 or not _is_shareable(request, response):
                    raise _Uncacheable(response)
                return _freeze(response)

            try:
                frozen = get_or_compute(
                    f"{name}:{_digest(key_parts)}",
                    render,
                    namespace=namespace,
                    ttl=ttl,
                    depends_on=dependencies,
                    refresh_ahead=False,  # a request cannot be replayed in the background
                )
            except _Uncacheable as uncacheable:
                response = uncacheable.response
            else:
                response = _thaw(frozen)
            patch_vary_headers(response, VARY)
            if per_user:
                patch_cache_control(response, private=True)
            return response

        return wrapper

    return decorate


def _is_shareable(request: Any, response: Any) -> bool:
    """Whether this response may be replayed to the next request with the same key."""
    if isinstance(response, Response):
        return True  # data only; DRF renders it afresh for each request
    if getattr(response, "streaming", False) or response.cookies:
        return False
    if not request.COOKIES.get(settings.CSRF_COOKIE_NAME):
        # The page may embed a CSRF token whose secret goes out in a cookie set after this
        # view returns: other cookie-less visitors must not get that token.
        return False
    if getattr(request, "session", None) is not None and request.session.modified:
        return False
    messages = getattr(request, "_messages", None)
    # A page that showed flash messages must not show them again on every hit.
    return not (messages is not None and (messages.used or len(messages._queued_messages)))


def _freeze(response: Any) -> dict[str, Any]:
    if isinstance(response, Response):
        # DRF renders after the handler returns: keep the data, render per request's Accept.
        return {"kind": "drf", "data": response.data, "headers": dict(response.headers)}
    return {
        "kind": "django",
        "content": response.content,
        "status": response.status_code,
        "headers": dict(response.headers),
    }


def _thaw(frozen: dict[str, Any]) -> Any:
    if frozen["kind"] == "drf":
        return Response(frozen["data"], headers=_without_length(frozen["headers"]))
    response = HttpResponse(frozen["content"], status=frozen["status"])
    for header, value in _without_length(frozen["headers"]).items():
        response[header] = value
    return response


def _without_length(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() not in ("content-length", "set-cookie")}
