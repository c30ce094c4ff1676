"""Fetching and parsing feeds (N1): what one HTTP round trip to one feed yields.

Conditional requests (ETag / Last-Modified), a size cap read as a stream, redirects followed, and
feedparser for RSS 2.0 and Atom, which also honours the document's declared encoding (EUC-KR
feeds are common in Korea). A feed that is malformed, empty, huge or slow yields an error for
that feed only.
"""

from __future__ import annotations

import calendar
import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
import httpx
from django.utils.html import strip_tags

USER_AGENT = "InsightStockNewsBot/1.0 (+https://insightstock.example/bot)"
TITLE_MAX = 500
URL_MAX = 1000
SUMMARY_MAX = 2000
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid")


def normalise_url(url: str) -> str:
    """One spelling per article: lower-case scheme and host, no fragment, no tracking
    parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PARAMS)
    )
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str
    summary: str
    published_at: datetime


@dataclass
class FeedFetch:
    """The outcome of fetching one feed."""

    status: str  # "ok", "not_modified" or "error"
    entries: list[FeedEntry] = field(default_factory=list)
    etag: str = ""
    last_modified: str = ""
    error: str = ""


def _plain(text: str, limit: int) -> str:
    # NUL cannot be stored in PostgreSQL text; a feed may still carry one (`&#0;`).
    return " ".join(html.unescape(strip_tags(text or "")).replace("\x00", "").split())[:limit]


def _published(entry: feedparser.FeedParserDict, fallback: datetime) -> datetime:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    if moment is None:
        return fallback
    return datetime.fromtimestamp(calendar.timegm(moment), tz=UTC)


def parse_feed(body: bytes, *, content_type: str, now: datetime) -> FeedFetch:
    parsed = feedparser.parse(body, response_headers={"content-type": content_type})
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom document"
        return FeedFetch("error", error=f"not a readable RSS/Atom feed: {reason}")
    entries = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").replace("\x00", "")
        title = _plain(entry.get("title", ""), TITLE_MAX)
        try:
            url = normalise_url(link)
        except ValueError:  # e.g. an unbalanced IPv6 bracket
            continue
        if not url.startswith(("http://", "https://")) or len(url) > URL_MAX or not title:
            continue  # nothing (safe) to link to, or nothing to show
        entries.append(
            FeedEntry(
                url=url,
                title=title,
                summary=_plain(entry.get("summary", ""), SUMMARY_MAX),
                published_at=min(_published(entry, now), now),  # a future date is a typo
            )
        )
    if parsed.bozo and not entries:
        reason = parsed.get("bozo_exception")
        return FeedFetch("error", error=f"not a readable RSS/Atom feed: {reason}")
    return FeedFetch("ok", entries=entries)


def fetch_feed(
    client: httpx.Client,
    url: str,
    *,
    etag: str,
    last_modified: str,
    max_bytes: int,
    now: datetime,
) -> FeedFetch:
    """GET one feed (conditionally) and parse it; never raises for the feed's own faults."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, "
               "application/xml;q=0.9, */*;q=0.8"}  # fmt: skip
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == httpx.codes.NOT_MODIFIED:
                return FeedFetch("not_modified", etag=etag, last_modified=last_modified)
            if response.status_code != httpx.codes.OK:
                return FeedFetch("error", error=f"HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    return FeedFetch("error", error=f"larger than {max_bytes} bytes")
            content_type = response.headers.get("content-type", "")
            new_etag = response.headers.get("etag", "")
            new_last_modified = response.headers.get("last-modified", "")
    except httpx.TimeoutException:
        return FeedFetch("error", error="timed out")
    except httpx.HTTPError as exc:
        return FeedFetch("error", error=f"{type(exc).__name__}: {exc}"[:500])
    fetched = parse_feed(bytes(body), content_type=content_type, now=now)
    fetched.etag, fetched.last_modified = new_etag, new_last_modified
    return fetched
