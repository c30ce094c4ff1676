"""The one place settings read the process environment.

django-environ raises ImproperlyConfigured naming the variable when a required one is missing,
so a misconfigured deploy fails at start-up rather than at the first request.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import environ

env = environ.Env()


def broker_url_for(url: str) -> str:
    """Celery's Redis transport names unix sockets `redis+socket://` (redis-py says `unix://`)."""
    parts = urlsplit(url)
    if parts.scheme != "unix":
        return url
    db = next((q[3:] for q in parts.query.split("&") if q.startswith("db=")), "0")
    return f"redis+socket://{parts.netloc}{parts.path}?virtual_host={db}"


def redis_url_for_db(url: str, db: int) -> str:
    """Return ``url`` pointing at logical database ``db`` (keeps host, auth and query)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        # unix sockets carry the database in the query string (?db=N)
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("db="))
        query = f"{query}&db={db}" if query else f"db={db}"
        return f"unix://{parts.netloc}{parts.path}?{query}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))
