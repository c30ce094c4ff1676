"""Demo data of the news app: feed sources pointing at demo feeds the site serves itself.

The feeds (news/static/news/demo-feeds/) are real RSS 2.0 and Atom documents written for the
demo — English, Korean, and Korean in EUC-KR — so the crawler runs for real with no internet.
"""

from __future__ import annotations

from typing import TextIO

from django.conf import settings

from news.models import FeedSource

DEMO_FEEDS = (
    # name, file, language
    ("Demo Market Wire", "market-wire.xml", "en"),
    ("데모 시장 속보", "sijang-sokbo.xml", "ko"),
    ("데모 경제 뉴스 (EUC-KR)", "gyeongje-euckr.xml", "ko"),
)


def demo_feed_url(file_name: str) -> str:
    base = settings.NEWS_DEMO_FEED_BASE_URL.rstrip("/")
    return f"{base}{settings.STATIC_URL}news/demo-feeds/{file_name}"


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
