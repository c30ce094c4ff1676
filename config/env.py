"""The one place settings read the process environment.

django-environ raises ImproperlyConfigured naming the variable when a required one is missing,
so a misconfigured deploy fails at start-up rather than at the first request.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

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


def var_dir() -> Path:
    """Runtime state (embedded services, uploads, mail under `make run`), git-ignored."""
    base_dir = Path(__file__).resolve().parent.parent
    return Path(env.str("INSIGHTSTOCK_VAR_DIR", default=str(base_dir / ".var")))


# EMAIL_URL query options beyond django-environ's own (`EMAIL_USE_TLS`, `EMAIL_USE_SSL`).
_EMAIL_URL_OPTIONS = {"TLS": "EMAIL_USE_TLS", "SSL": "EMAIL_USE_SSL", "TIMEOUT": "EMAIL_TIMEOUT"}


def email_settings(variables: Mapping[str, str], *, var_dir: Path) -> dict[str, Any]:
    """Django's EMAIL_* settings from ``EMAIL_URL``, else the EMAIL_* variables, else files.

    ``EMAIL_CONFIGURED`` says whether the environment chose a backend: without one, mail is
    written one file per message under ``<var_dir>/mail`` (production refuses to start).
    """
    parse_bool = functools.partial(environ.Env.parse_value, cast=bool)
    config: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": variables.get("EMAIL_HOST", ""),
        "EMAIL_PORT": int(variables.get("EMAIL_PORT") or 0) or None,
        "EMAIL_HOST_USER": variables.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": variables.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": parse_bool(variables.get("EMAIL_USE_TLS") or "false"),
        "EMAIL_USE_SSL": parse_bool(variables.get("EMAIL_USE_SSL") or "false"),
        # A hung SMTP server must not hold a worker for ever.
        "EMAIL_TIMEOUT": float(variables.get("EMAIL_TIMEOUT") or 10),
        "EMAIL_FILE_PATH": str(var_dir / "mail"),
        "EMAIL_CONFIGURED": True,
    }
    url = variables.get("EMAIL_URL", "")
    if url:
        parsed = environ.Env.email_url_config(url)
        options = parsed.pop("OPTIONS", {})
        unknown = sorted(set(options) - set(_EMAIL_URL_OPTIONS))
        if unknown:  # a typo must not silently send in the clear
            raise ImproperlyConfigured(f"EMAIL_URL: unknown option(s) {', '.join(unknown)}")
        for option, value in options.items():
            name = _EMAIL_URL_OPTIONS[option]
            parsed[name] = float(value) if name == "EMAIL_TIMEOUT" else parse_bool(str(value))
        # django-environ drops the leading "/" of the path: filemail:///srv/mail is /srv/mail.
        file_path = (
            urlsplit(url).path
            if parsed["EMAIL_BACKEND"].endswith(".filebased.EmailBackend")
            else ""
        )
        parsed["EMAIL_FILE_PATH"] = file_path or config["EMAIL_FILE_PATH"]
        config.update({key: value for key, value in parsed.items() if value is not None})
    elif not config["EMAIL_HOST"]:
        config.update(
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_HOST="localhost",
            EMAIL_CONFIGURED=False,
        )
    if config["EMAIL_USE_TLS"] and config["EMAIL_USE_SSL"]:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: choose one")
    if config["EMAIL_PORT"] is None:  # the port of the protocol chosen
        config["EMAIL_PORT"] = (
            465 if config["EMAIL_USE_SSL"] else 587 if config["EMAIL_USE_TLS"] else 25
        )
    return config
