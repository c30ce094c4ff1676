"""The one place settings read the process environment.

django-environ raises ImproperlyConfigured naming the variable when a required one is missing,
so a misconfigured deploy fails at start-up rather than at the first request.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import environ

env = environ.Env()


def redis_url_for_db(url: str, db: int) -> str:
    """Return ``url`` pointing at logical database ``db`` (keeps host, auth and query)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        # unix sockets carry the database in the query string (?db=N)
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("db="))
        query = f"{query}&db={db}" if query else f"db={db}"
        return f"unix://{parts.netloc}{parts.path}?{query}"
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))
