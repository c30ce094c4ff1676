"""The feed crawler (N1) against hostile and broken feeds served locally (issue 16, item 13):
odd redirects, compression bombs, dripping servers, private addresses, lying encodings, junk
markup and dumps of thousands of items. Each ends as its own source's error, or is cleaned, and
never costs another source its articles."""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from functools import cache

import pytest
from django.utils import timezone

from news import services
from news.crawler import FeedFetch, parse_feed
from news.models import Article, FeedSource
from tests.localhttp import LocalHttpServer

pytestmark = pytest.mark.django_db

GOOD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>시장 속보</title><link>https://sokbo.example/</link>
<description>d</description>
<item><title>삼성전자 주가 상승</title><link>https://sokbo.example/a/10</link>
<pubDate>Fri, 14 Mar 2025 10:00:00 +0900</pubDate></item>
</channel></rss>""".encode()

KOREAN = """<rss version="2.0"><channel><title>경제</title><link>https://euc.example/</link>
<description>d</description>
<item><title>코스피 하락 마감, 외국인 매도세 지속</title><link>https://euc.example/n/7</link>
<description>한국 증시가 외국인 매도에 하락했다.</description>
<pubDate>Fri, 14 Mar 2025 15:40:00 +0900</pubDate></item></channel></rss>"""

JUNK = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://junk.example/</link><description>d</description>
<item><title>Chip &lol9; exports</title><link>https://junk.example/1</link>
<description>one&lt;br&gt;two&lt;br/&gt;three&lt;p&gt;four&lt;/p&gt;five</description>
<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>
<item><title>Empty CDATA</title><link>https://junk.example/2</link>
<description><![CDATA[&lt;![CDATA[]]&gt;]]></description>
<pubDate>Fri, 14 Mar 2025 09:31:00 +0900</pubDate></item>
<item><title>Script link</title><link>http:javascript:alert(1)</link>
<pubDate>Fri, 14 Mar 2025 09:32:00 +0900</pubDate></item>
</channel></rss>"""

BOMB_DECODED_BYTES = 256 * 1024 * 1024


@cache
def nested_gzip_bomb() -> bytes:
    """256 MiB of zeros, gzipped twice: a few kilobytes on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    layer = b"".join(inner.compress(zeros) for _ in range(BOMB_DECODED_BYTES // len(zeros)))
    return gzip.compress(layer + inner.flush(), 9)


def dump(items: int) -> bytes:
    entries = "".join(
        f"<item><title>Item {n}</title><link>https://dump.example/{n}</link>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime(1741900000 + n))}"
        "</pubDate></item>"
        for n in range(items)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://dump.example/</link><description>d</description>{entries}"
            "</channel></rss>").encode()  # fmt: skip


def drip(body: bytes, every: float) -> Iterator[bytes]:
    for offset in range(len(body)):
        time.sleep(every)
        yield body[offset : offset + 1]


# One 10 KB entity referenced 4,000 times: 40 MB of text from a 30 KB feed.
ENTITY_BLOWUP = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE rss [\n<!ENTITY big "' + "x" * 10_000
    + '">\n]>\n<rss version="2.0"><channel><title>t</title><link>https://e.example/</link>'
    "<description>d</description><item><title>Entities</title><link>https://e.example/1</link>"
    "<description>" + "&big;" * 4000 + "</description>"
    "<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item></channel></rss>"
).encode()  # fmt: skip

# An emoji written as its two UTF-16 halves (as some CMSs do), a lone half, a value past Unicode.
SURROGATES = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    b"<link>https://u.example/</link><description>d</description>"
    b"<item><title>Rally &#55357;&#56832; today</title><link>https://u.example/1</link>"
    b"<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>"
    b"<item><title>Half &#xD800; and past &#x110000;</title><link>https://u.example/2</link>"
    b"<pubDate>Fri, 14 Mar 2025 09:31:00 +0900</pubDate></item></channel></rss>"
)  # fmt: skip

# Control characters XML forbids, as references the lenient parser lets through.
CONTROLS = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    b"<link>https://c.example/</link><description>d</description>"
    b"<item><title>Chips&#x1b;[31mrally&#x7f;today&#0;!</title>"
    b"<link>https://c.example/a&#1;b</link><description>one&#x8;two</description>"
    b"<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item></channel></rss>"
)  # fmt: skip

# .NET's DateTime.MinValue and MaxValue written with an offset: years 0 and 10000 in UTC.
MIN_MAX_DATES = (
    b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>'
    b"<link>https://m.example/</link><description>d</description>"
    b"<item><title>No date</title><link>https://m.example/1</link>"
    b"<dc:date>0001-01-01T00:00:00+09:00</dc:date></item>"
    b"<item><title>Far date</title><link>https://m.example/2</link>"
    b"<dc:date>9999-12-31T23:59:59-05:00</dc:date></item></channel></rss>"
)  # fmt: skip

# A title whose tag never closes, 600 deep: Django's strip_tags refuses it (SuspiciousOperation).
OPEN_TAGS = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
    "<link>https://o.example/</link><description>d</description>"
    "<item><title>Chip exports " + "&lt;b" * 600 + "</title><link>https://o.example/1</link>"
    "<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>"
    "<item><title>Plain news</title><link>https://o.example/2</link>"
    "<pubDate>Fri, 14 Mar 2025 09:31:00 +0900</pubDate></item></channel></rss>"
).encode()  # fmt: skip


class HostileServer(LocalHttpServer):
    file_path = ""

    def answer(self, path: str, headers) -> tuple[int, dict, bytes | Iterator[bytes]]:  # noqa: ANN001
        rss = {"Content-Type": "application/rss+xml"}
        if path == "/good":
            return 200, rss, GOOD
        if path == "/good-korean":  # valid UTF-8, declared so: read exactly as it is
            body = '<?xml version="1.0" encoding="UTF-8"?>\n' + KOREAN
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, body.encode()
        if path.startswith("/to/"):  # a redirect to whatever follows
            return 302, {"Location": path.removeprefix("/to/")}, b""
        if path == "/bomb":
            return 200, {**rss, "Content-Encoding": "gzip, gzip"}, nested_gzip_bomb()
        if path == "/gzipped":
            return 200, {**rss, "Content-Encoding": "gzip"}, gzip.compress(GOOD)
        if path == "/layers":  # gzipped 1,100 times over
            encoded = GOOD
            for _ in range(1100):
                encoded = gzip.compress(encoded, 1)
            return 200, {**rss, "Content-Encoding": ",".join(["gzip"] * 1100)}, encoded
        if path == "/min-max-dates":
            return 200, rss, MIN_MAX_DATES
        if path == "/breaks-feedparser":  # found by fuzzing: a <link> cut by an <item>
            return (
                200,
                rss,
                (
                    b'<rss version="2.0"><channel><title>t</title><li<item>nk>https://s.example/</link>'
                    b"<item><title>A</title><link>h</item>ttps://s.example/1</link></item></channel></rss>"
                ),
            )
        if path == "/brotli":
            return 200, {**rss, "Content-Encoding": "br"}, b"\x8b\x00\x80"
        if path == "/drip":
            return 200, rss, drip(GOOD, every=0.2)
        if path == "/euc-kr-undeclared":
            return 200, rss, KOREAN.encode("euc-kr")
        if path == "/euc-kr-declared-utf8":
            body = '<?xml version="1.0" encoding="UTF-8"?>\n' + KOREAN
            return 200, {"Content-Type": "text/xml"}, body.encode("euc-kr")
        if path == "/utf8-declared-koi8-r":
            body = '<?xml version="1.0" encoding="KOI8-R"?>\n' + KOREAN
            return 200, {"Content-Type": "application/rss+xml; charset=koi8-r"}, body.encode()
        if path == "/euc-kr-declared-unknown":  # a name Python's codecs cannot even look up
            body = '<?xml version="1.0" encoding="EUC\x00KR"?>\n' + KOREAN
            return 200, rss, body.encode("euc-kr")
        if path == "/junk":
            return 200, rss, JUNK
        if path == "/dump":
            return 200, rss, dump(500)
        if path == "/names-a-file":  # a body that is a local file's path
            return 200, rss, self.file_path.encode()
        if path == "/utf8-etag":  # sent as UTF-8 bytes ("€"), which http.server writes as latin-1
            return 200, {**rss, "ETag": '"\u00e2\u0082\u00ac"'}, GOOD
        if path == "/long-last-modified":
            return (
                200,
                {**rss, "Last-Modified": "Fri, 14 Mar 2025 10:00:00 GMT" + " " * 70 + "x"},
                GOOD,
            )
        if path == "/surrogates":
            return 200, rss, SURROGATES
        if path == "/controls":
            return 200, rss, CONTROLS
        if path == "/entities":
            return 200, rss, ENTITY_BLOWUP
        if path == "/open-tags":
            return 200, rss, OPEN_TAGS
        return 404, {}, b"not found"


@pytest.fixture
def hostile(settings) -> Iterator[HostileServer]:
    settings.NEWS_FETCH_TIMEOUT_SECONDS = 2
    settings.NEWS_FETCH_MAX_BYTES = 1024 * 1024
    settings.NEWS_RETENTION_DAYS = 36500  # the feeds date from March 2025
    server = HostileServer()
    settings.NEWS_ALLOWED_PRIVATE_HOSTS = server.url.removeprefix("http://")  # this one only
    yield server
    server.close()


def _source(server: LocalHttpServer, path: str, name: str | None = None) -> FeedSource:
    return FeedSource.objects.create(name=name or path, url=f"{server.url}{path}", language="ko")


def _crawl_with_a_good_feed_after(bad: FeedSource, server: LocalHttpServer) -> str:
    """Crawl ``bad`` and then a good feed; the good one is stored; ``bad``'s error is returned."""
    good = _source(server, "/good", "zz-good")
    assert bad.pk < good.pk  # fetched and stored in this order

    outcome = services.feeds_crawl()

    assert (outcome.sources, outcome.new_articles, outcome.failed_sources) == (2, 1, 1)
    assert Article.objects.get().source == good
    bad.refresh_from_db()
    assert bad.last_fetched_at is not None
    return bad.last_error


@pytest.mark.parametrize(
    "location",
    ["javascript:alert(1)", "data:text/xml,<rss/>", "mailto:news@example.com", "ftp://x/feed"],
)
def test_a_redirect_to_a_non_http_url_is_refused_and_the_crawl_goes_on(hostile, location):
    bad = _source(hostile, f"/to/{location}")

    error = _crawl_with_a_good_feed_after(bad, hostile)

    assert "refused" in error and "not an http(s) URL" in error


def test_a_feed_url_that_is_not_http_is_refused(hostile):
    bad = FeedSource.objects.create(name="js", url="http:javascript:alert(1)", language="en")

    assert "not an http(s) URL" in _crawl_with_a_good_feed_after(bad, hostile)


def test_a_nested_gzip_bomb_is_cut_at_the_cap_as_it_is_decoded(hostile):
    bad = _source(hostile, "/bomb")
    assert len(nested_gzip_bomb()) < 16 * 1024

    tracemalloc.start()
    try:
        error = _crawl_with_a_good_feed_after(bad, hostile)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Decoding a whole read of the bomb takes 256 MiB; bounded decoding, about the 1 MiB cap.
    assert peak < 32 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert "larger than 1048576 bytes" in error


def test_gzip_is_decoded_and_an_unknown_content_encoding_is_an_error(hostile):
    _source(hostile, "/gzipped")
    bad = _source(hostile, "/brotli")

    outcome = services.feeds_crawl()

    assert (outcome.new_articles, outcome.failed_sources) == (1, 1)
    bad.refresh_from_db()
    assert "unsupported Content-Encoding: br" in bad.last_error


def test_a_dripping_feed_ends_at_its_deadline_and_others_are_stored(hostile):
    # A byte every 0.2 s never trips a 2 s read timeout; the feed's one deadline does.
    bad = _source(hostile, "/drip")

    error = _crawl_with_a_good_feed_after(bad, hostile)

    assert "timed out" in error


@pytest.mark.parametrize(
    "target",
    [
        *("127.0.0.1", "localhost", "10.0.0.1", "169.254.169.254", "[::1]", "0.0.0.0"),  # noqa: S104
        # IPv4 in IPv6: compatible, NAT64 (well-known and local-use prefixes), 6to4, translated.
        *("[::127.0.0.1]", "[64:ff9b::7f00:1]", "[64:ff9b:1::808:808]", "[2002:a00:1::1]"),
        "[::ffff:0:7f00:1]",
    ],
)
def test_a_feed_on_a_private_address_is_refused_after_resolution(hostile, target):
    other = HostileServer()  # loopback, not in NEWS_ALLOWED_PRIVATE_HOSTS
    port = other.url.rsplit(":", 1)[1]
    try:
        bad = FeedSource.objects.create(
            name="private", url=f"http://{target}:{port}/good", language="en"
        )
        error = _crawl_with_a_good_feed_after(bad, hostile)
    finally:
        other.close()

    assert "refused" in error and "NEWS_ALLOWED_PRIVATE_HOSTS" in error
    assert other.requests == []


def test_a_redirect_to_a_private_address_is_refused(hostile):
    other = HostileServer()
    try:
        bad = _source(hostile, f"/to/{other.url}/good")
        error = _crawl_with_a_good_feed_after(bad, hostile)
    finally:
        other.close()

    assert "refused" in error and other.url.removeprefix("http://") in error
    assert other.requests == []
    assert f"/to/{other.url}/good" in [r["path"] for r in hostile.requests]


def test_an_allowed_private_host_port_is_fetched_and_only_that_port(hostile, settings):
    other = HostileServer()
    try:
        settings.NEWS_ALLOWED_PRIVATE_HOSTS = f"example.invalid:1, {other.url[7:]}"
        _source(other, "/good")
        bad = _source(hostile, "/good", "on-another-port")  # allowed before, not now

        outcome = services.feeds_crawl()
    finally:
        other.close()

    assert (outcome.new_articles, outcome.failed_sources) == (1, 1)
    bad.refresh_from_db()
    assert "refused" in bad.last_error


@pytest.mark.parametrize(
    "path",
    [
        "/euc-kr-undeclared",
        "/euc-kr-declared-utf8",
        "/utf8-declared-koi8-r",
        "/euc-kr-declared-unknown",
        "/good-korean",
    ],
)
def test_a_feed_with_a_missing_or_wrong_encoding_is_read_in_korean(hostile, path):
    source = _source(hostile, path)

    assert services.feeds_crawl().new_articles == 1

    article = Article.objects.get()
    assert article.title == "코스피 하락 마감, 외국인 매도세 지속"
    assert article.summary == "한국 증시가 외국인 매도에 하락했다."
    source.refresh_from_db()
    assert source.last_error == ""


def test_junk_markup_is_cleaned_and_a_hostless_link_is_skipped(hostile):
    _source(hostile, "/junk")

    assert services.feeds_crawl().new_articles == 2

    texts = dict(Article.objects.values_list("url", "title"))
    assert texts == {
        "https://junk.example/1": "Chip exports",
        "https://junk.example/2": "Empty CDATA",
    }
    summaries = dict(Article.objects.values_list("url", "summary"))
    assert summaries == {"https://junk.example/1": "one two three four five",
                         "https://junk.example/2": ""}  # fmt: skip


def test_a_feed_keeps_only_its_newest_entries_up_to_the_cap(hostile, settings):
    settings.NEWS_MAX_ENTRIES_PER_FEED = 50
    _source(hostile, "/dump")

    assert services.feeds_crawl().new_articles == 50

    kept = sorted(
        int(url.rsplit("/", 1)[1]) for url in Article.objects.values_list("url", flat=True)
    )
    assert kept == list(range(450, 500))  # the newest 50 of 500


def test_an_allowed_host_name_is_connected_to_at_its_checked_address_with_its_host_header(
    hostile, settings
):
    port = hostile.url.rsplit(":", 1)[1]
    settings.NEWS_ALLOWED_PRIVATE_HOSTS = f"localhost:{port}"
    FeedSource.objects.create(name="named", url=f"http://localhost:{port}/good", language="ko")

    assert services.feeds_crawl().new_articles == 1
    assert hostile.requests[-1]["Host"] == f"localhost:{port}"


def test_a_body_naming_a_local_file_is_read_as_a_document_not_opened(hostile, tmp_path):
    # feedparser opens bytes that name a file: "/dev/zero" would be read until memory runs out.
    local = tmp_path / "local.xml"
    local.write_bytes(GOOD.replace(b"https://sokbo.example/a/10", b"https://local.example/1"))
    hostile.file_path = str(local)
    source = _source(hostile, "/names-a-file")

    outcome = services.feeds_crawl()

    assert (outcome.new_articles, outcome.failed_sources) == (0, 1)
    source.refresh_from_db()
    assert "not a readable RSS/Atom feed" in source.last_error


def test_declared_entities_are_not_expanded(hostile):
    source = _source(hostile, "/entities")

    tracemalloc.start()
    try:
        outcome = services.feeds_crawl()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # feedparser's lenient parser expanded them all: 40 MB of text from 30 KB.
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert outcome.new_articles == 1
    article = Article.objects.get()
    assert (article.source, article.title) == (source, "Entities")
    assert "xxxxx" not in article.summary


def test_a_tag_left_open_past_djangos_bound_costs_its_entry_only_its_text(hostile):
    source = _source(hostile, "/open-tags")

    assert services.feeds_crawl().new_articles == 2

    titles = dict(Article.objects.values_list("url", "title"))
    assert titles["https://o.example/2"] == "Plain news"
    assert titles["https://o.example/1"].startswith("Chip exports <b<b")
    source.refresh_from_db()
    assert source.last_error == ""


def test_unclosed_cdata_markers_are_cleaned_in_linear_time():
    text = "&lt;![CDATA[" * 100_000  # openers never closed: each was matched to the end
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://l.example/</link><description>d</description><item><title>Title</title>"
        f"<link>https://l.example/1</link><description>{text}</description></item>"
        "</channel></rss>"
    ).encode()
    result: list[FeedFetch] = []
    # Hang detection, not a timing threshold: linear cleaning takes well under a second, the
    # quadratic one took minutes (holding the GIL, so every other feed with it).
    worker = threading.Thread(
        target=lambda: result.append(
            parse_feed(body, content_type="application/rss+xml", now=timezone.now())
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=120)

    assert result, "cleaning the text did not end"
    assert [entry.title for entry in result[0].entries] == ["Title"]


@pytest.mark.parametrize("path", ["/utf8-etag", "/long-last-modified"])
def test_a_validator_that_cannot_be_stored_or_sent_back_is_dropped(hostile, path):
    source = _source(hostile, path)

    first, second = services.feeds_crawl(), services.feeds_crawl()

    # A non-ASCII ETag failed every later request; a long Last-Modified every store.
    assert (first.new_articles, first.failed_sources, second.failed_sources) == (1, 0, 0)
    source.refresh_from_db()
    assert (source.etag, source.last_modified, source.last_error) == ("", "", "")
    assert "If-None-Match" not in hostile.requests[-1]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://[::1/", "is not a valid URL"),
        ("http://xn--a.example/", "is not a valid URL"),
        ("http://a..b/", "cannot resolve a..b"),
    ],
)
def test_a_redirect_to_a_malformed_url_is_the_feeds_error_not_a_crash(hostile, location, expected):
    bad = _source(hostile, f"/to/{location}")

    error = _crawl_with_a_good_feed_after(bad, hostile)

    assert expected in error  # not "fetch failed: ValueError" from the crawl's catch-all


def test_surrogate_and_out_of_range_character_references_are_read_not_fatal(hostile):
    source = _source(hostile, "/surrogates")

    assert services.feeds_crawl().new_articles == 2

    titles = dict(Article.objects.values_list("url", "title"))
    assert titles == {"https://u.example/1": "Rally \U0001f600 today",
                      "https://u.example/2": "Half \ufffd and past \ufffd"}  # fmt: skip
    source.refresh_from_db()
    assert source.last_error == ""


def test_control_characters_are_not_stored(hostile):
    _source(hostile, "/controls")

    assert services.feeds_crawl().new_articles == 1

    article = Article.objects.get()
    assert (article.url, article.title, article.summary) == (
        "https://c.example/ab",
        "Chips [31mrally today!",
        "one two",
    )


class _Stopped(Exception):
    """What the job's soft time limit raises in the crawl, here after the first stored feed."""


def _stop(percent: int, message: str) -> None:
    raise _Stopped


def test_a_crawl_stopped_midway_is_continued_by_the_next_from_the_stalest_feed(hostile):
    first, second, third = (_source(hostile, path) for path in ("/a", "/b", "/c"))

    for _ in range(2):
        with pytest.raises(_Stopped):
            services.feeds_crawl(progress=_stop)

    fetched = set(FeedSource.objects.filter(last_fetched_at__isnull=False))
    assert fetched == {first, second}  # not the first one twice, the others never


def test_a_body_encoded_a_thousand_times_over_is_refused(hostile):
    bad = _source(hostile, "/layers")

    error = _crawl_with_a_good_feed_after(bad, hostile)

    assert error == "refused: 1100 Content-Encoding layers"  # not a RecursionError's catch-all


def test_a_date_past_the_years_python_holds_is_taken_as_the_crawls_time(hostile):
    source = _source(hostile, "/min-max-dates")
    before = timezone.now()

    assert services.feeds_crawl().new_articles == 2

    assert all(at >= before for at in Article.objects.values_list("published_at", flat=True))
    source.refresh_from_db()
    assert source.last_error == ""


def test_markup_that_breaks_feedparser_is_the_feeds_error(hostile):
    bad = _source(hostile, "/breaks-feedparser")

    error = _crawl_with_a_good_feed_after(bad, hostile)

    # Not "fetch failed: KeyError", the crawl's catch-all for faults of ours, logged as such.
    assert error == "not a readable RSS/Atom feed: feedparser failed (KeyError: 'links')"
