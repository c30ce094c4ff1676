"""Demo data of the news app: feed sources pointing at demo feeds the site serves itself.

The feeds (news/demo_feeds/) are real RSS 2.0 and Atom documents written for the demo — English,
Korean, and Korean in EUC-KR — so the crawler runs for real with no internet. They are served
(by news.views.demo_feed) with their dates moved forward by whole days to the latest that is not
in the future: a demo installed months from now still shows recent news, which the crawler would
otherwise skip as older than the retention age.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from news.models import FeedSource

DEMO_FEEDS_DIR = Path(__file__).resolve().parent / "demo_feeds"
DEMO_FEEDS = (
    # name, file, language
    ("Demo Market Wire", "market-wire.xml", "en"),
    ("데모 시장 속보", "sijang-sokbo.xml", "ko"),
    ("데모 경제 뉴스 (EUC-KR)", "gyeongje-euckr.xml", "ko"),
)
# Bytes, not text: one of the feeds is EUC-KR, and its dates are ASCII either way.
_RFC822_DATE = re.compile(rb"<(pubDate|lastBuildDate)>([^<]+)</\1>")
_ISO_DATE = re.compile(rb"<(updated|published)>([^<]+)</\1>")


def demo_feed_url(file_name: str) -> str:
    base = settings.NEWS_DEMO_FEED_BASE_URL.rstrip("/")
    return f"{base}{reverse('news:demo-feed', args=[file_name])}"


def _iso(value: bytes) -> datetime:
    return datetime.fromisoformat(value.decode().strip())


def _format_iso(moment: datetime) -> bytes:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z").encode()


def demo_feed_document(file_name: str, *, now: datetime | None = None) -> bytes:
    """The demo feed's bytes with every date moved by the same whole number of days, so that the
    newest is the latest such date not after ``now``. Raises FileNotFoundError for unknown
    names."""
    if file_name not in {name for _, name, _ in DEMO_FEEDS}:
        raise FileNotFoundError(file_name)
    body = (DEMO_FEEDS_DIR / file_name).read_bytes()
    dates = [parsedate_to_datetime(m[2].decode().strip()) for m in _RFC822_DATE.finditer(body)]
    dates += [_iso(m[2]) for m in _ISO_DATE.finditer(body)]
    if not dates:
        return body
    shift = timedelta(days=((now or timezone.now()) - max(dates)) // timedelta(days=1))
    body = _RFC822_DATE.sub(
        lambda m: b"<%s>%s</%s>" % (m[1], format_datetime(
            parsedate_to_datetime(m[2].decode().strip()) + shift).encode(), m[1]),
        body,
    )  # fmt: skip
    return _ISO_DATE.sub(
        lambda m: b"<%s>%s</%s>" % (m[1], _format_iso(_iso(m[2]) + shift), m[1]), body
    )


def has_data() -> bool:
    return FeedSource.objects.exists()


def seed_demo(*, stdout: TextIO) -> None:
    for name, file_name, language in DEMO_FEEDS:
        FeedSource.objects.update_or_create(
            name=name,
            defaults={"url": demo_feed_url(file_name), "language": language, "is_enabled": True},
        )
    stdout.write(
        f"  {len(DEMO_FEEDS)} demo news feeds (served by this site; the crawler runs every 5 min)\n"
    )
