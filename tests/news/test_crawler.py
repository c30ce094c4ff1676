"""The feed crawler (N1) against a local HTTP server serving real-format RSS 2.0 and Atom."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from news import services
from news.crawler import normalise_url
from news.models import Article, FeedSource
from tests.localhttp import LocalHttpServer

pytestmark = pytest.mark.django_db

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Market wire</title><link>https://wire.example/</link>
<description>Markets</description>
<item><title>Samsung Electronics shares rise on chip demand</title>
<link>https://wire.example/news/1?utm_source=rss#top</link>
<description>&lt;p&gt;Samsung Electronics (005930) gained.&lt;/p&gt;</description>
<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>
<item><title>SK hynix slips</title><link>https://wire.example/news/2</link>
<description>SK hynix fell 2%.</description>
<pubDate>Fri, 14 Mar 2025 10:00:00 +0900</pubDate></item>
<item><title>Duplicate of the first</title><link>https://WIRE.example/news/1/</link>
<pubDate>Fri, 14 Mar 2025 09:31:00 +0900</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>시장 속보</title><id>urn:x</id>
<updated>2025-03-14T01:00:00Z</updated>
<entry><title>삼성전자 주가 상승</title><link href="https://sokbo.example/a/10"/><id>urn:10</id>
<updated>2025-03-14T01:00:00Z</updated>
<summary>반도체 수요 회복 기대감에 삼성전자가 올랐다.</summary></entry>
</feed>"""

EUC_KR = """<?xml version="1.0" encoding="EUC-KR"?>
<rss version="2.0"><channel><title>경제</title><link>https://euc.example/</link><description>d</description>
<item><title>코스피 하락 마감</title><link>https://euc.example/n/7</link>
<pubDate>Fri, 14 Mar 2025 15:40:00 +0900</pubDate></item></channel></rss>""".encode("euc-kr")


class FeedServer(LocalHttpServer):
    """Serves feeds by path; answers 304 to a matching If-None-Match."""

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        xml = {"Content-Type": "application/rss+xml"}
        if path == "/rss":
            if headers.get("If-None-Match") == '"v1"':
                return 304, {"ETag": '"v1"'}, b""
            return (
                200,
                {**xml, "ETag": '"v1"', "Last-Modified": formatdate(usegmt=True)},
                (RSS.encode()),
            )
        if path == "/atom":
            return 200, {"Content-Type": "application/atom+xml"}, ATOM.encode()
        if path == "/euc-kr":
            return 200, {"Content-Type": "application/rss+xml"}, EUC_KR
        if path == "/moved":
            return 301, {"Location": "/atom"}, b""
        if path == "/malformed":
            return 200, xml, b"<rss><channel><item><title>broken"
        if path == "/empty":
            return 200, xml, b""
        if path == "/huge":
            return 200, xml, b"<rss>" + b" " * (2 * 1024 * 1024) + b"</rss>"
        if path == "/slow":
            time.sleep(3)
            return 200, xml, RSS.encode()
        return 404, {}, b"not found"


@pytest.fixture
def feeds(settings) -> Iterator[FeedServer]:
    settings.NEWS_FETCH_TIMEOUT_SECONDS = 1
    settings.NEWS_FETCH_MAX_BYTES = 1024 * 1024
    settings.NEWS_RETENTION_DAYS = 36500  # these recorded feeds date from March 2025
    server = FeedServer()
    settings.NEWS_ALLOWED_PRIVATE_HOSTS = server.url.removeprefix("http://")  # this one only
    yield server
    server.close()


def _source(feeds: FeedServer, path: str, language: str = "en") -> FeedSource:
    return FeedSource.objects.create(name=path, url=f"{feeds.url}{path}", language=language)


def test_rss_items_become_articles_deduplicated_by_normalised_url(feeds):
    source = _source(feeds, "/rss")

    outcome = services.feeds_crawl()

    assert (outcome.sources, outcome.new_articles, outcome.failed_sources) == (1, 2, 0)
    first = Article.objects.get(url="https://wire.example/news/1")
    assert first.title == "Samsung Electronics shares rise on chip demand"
    assert first.summary == "Samsung Electronics (005930) gained."  # tags stripped
    assert first.published_at.isoformat() == "2025-03-14T00:30:00+00:00"
    assert first.language == "en" and first.source == source
    source.refresh_from_db()
    assert source.etag == '"v1"' and source.last_modified and not source.last_error


def test_a_second_crawl_sends_a_conditional_request_and_adds_nothing(feeds):
    _source(feeds, "/rss")
    services.feeds_crawl()

    outcome = services.feeds_crawl()

    assert outcome.new_articles == 0
    assert feeds.requests[-1]["If-None-Match"] == '"v1"'
    assert Article.objects.count() == 2


def test_atom_and_euc_kr_feeds_are_read_in_korean(feeds):
    _source(feeds, "/atom", "ko")
    _source(feeds, "/euc-kr", "ko")

    assert services.feeds_crawl().new_articles == 2
    assert set(Article.objects.values_list("title", flat=True)) == {
        "삼성전자 주가 상승", "코스피 하락 마감",
    }  # fmt: skip


def test_a_redirected_feed_is_followed(feeds):
    _source(feeds, "/moved", "ko")

    assert services.feeds_crawl().new_articles == 1


@pytest.mark.parametrize(
    ("path", "error"),
    [("/malformed", "not a readable"), ("/empty", "not a readable"), ("/huge", "larger than"),
     ("/slow", "timed out"), ("/gone", "HTTP 404")],
)  # fmt: skip
def test_a_bad_feed_records_its_error_and_harms_no_other(feeds, path, error):
    bad = _source(feeds, path)
    _source(feeds, "/atom", "ko")

    outcome = services.feeds_crawl()

    assert (outcome.new_articles, outcome.failed_sources) == (1, 1)
    bad.refresh_from_db()
    assert error in bad.last_error
    assert bad.last_fetched_at is not None


def test_a_disabled_source_is_not_fetched(feeds):
    source = _source(feeds, "/rss")
    source.is_enabled = False
    source.save()

    assert services.feeds_crawl().sources == 0
    assert feeds.requests == []


@pytest.mark.parametrize(
    ("url", "normal"),
    [("HTTPS://Wire.Example/a/?utm_source=x&b=2&a=1#frag", "https://wire.example/a?a=1&b=2"),
     ("https://wire.example/", "https://wire.example"),
     ("https://wire.example/a?fbclid=1", "https://wire.example/a")],
)  # fmt: skip
def test_urls_are_normalised(url, normal):
    assert normalise_url(url) == normal


def test_crawl_news_command_crawls_the_named_source_with_progress(feeds):
    from io import StringIO

    from django.core.management import CommandError, call_command

    _source(feeds, "/atom", "ko")
    _source(feeds, "/rss")
    out = StringIO()

    call_command("crawl_news", "--source", "/atom", stdout=out)

    assert "[100%] /atom: ok" in out.getvalue()
    assert "1 feeds fetched, 1 new articles, 0 failed" in out.getvalue()
    assert [r["path"] for r in feeds.requests] == ["/atom"]
    with pytest.raises(CommandError, match="no feed source"):
        call_command("crawl_news", "--source", "nowhere", stdout=out)


NUL_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://nul.example/</link><description>d</description>
<item><title>bad &#0; title</title><link>https://nul.example/a</link>
<description>x&#0;y</description><pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>
</channel></rss>"""


class NulFeedServer(FeedServer):
    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:
        if path == "/nul":
            return 200, {"Content-Type": "application/rss+xml"}, NUL_RSS
        return super().answer(path, headers)


def test_a_nul_character_in_a_feed_is_dropped_and_harms_no_other_feed(settings):
    settings.NEWS_RETENTION_DAYS = 36500
    feeds = NulFeedServer()
    try:
        FeedSource.objects.create(name="a-nul", url=f"{feeds.url}/nul", language="en")
        FeedSource.objects.create(name="b-rss", url=f"{feeds.url}/rss", language="en")
        outcome = services.feeds_crawl()
    finally:
        feeds.close()
    assert (outcome.new_articles, outcome.failed_sources) == (3, 0)
    bad = Article.objects.get(url="https://nul.example/a")
    assert (bad.title, bad.summary) == ("bad title", "xy")
