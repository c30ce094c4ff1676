"""News pages (N3): the list with its filters (/news/), an article (/news/<id>/), and the latest
news panel on a stock's page."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.utils import timezone

from news.models import FeedSource, Sentiment
from tests.news.factories import ArticleFactory, FeedSourceFactory
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def page_client() -> Client:
    """An anonymous visitor reading English (pages are Korean by default)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section(text: str, testid: str, end: str) -> str:
    assert f'data-testid="{testid}"' in text, f"no {testid}"
    return text.split(f'data-testid="{testid}"', 1)[1].split(end, 1)[0]


def listed_ids(text: str) -> list[int]:
    """Ids of the articles in the news list, in order."""
    return [
        int(i) for i in re.findall(r'href="/news/(\d+)/"', section(text, "article-list", "</ul>"))
    ]


def panel_ids(text: str) -> list[int]:
    """Ids of the articles in a stock page's news panel, in order."""
    return [
        int(i)
        for i in re.findall(r'href="/news/(\d+)/"', section(text, "stock-news", "</section>"))
    ]


def filter_errors(text: str) -> list[str]:
    """The filter error messages, or [] if the page shows none."""
    if 'data-testid="filter-errors"' not in text:
        return []
    return re.findall(r"<li[^>]*>(.*?)</li>", section(text, "filter-errors", "</ul>"), re.S)


def pagination_links(text: str) -> dict[str, dict[str, list[str]]]:
    """The pagination links by label ("Next", "Previous"), as parsed query strings."""
    nav = re.search(r'<nav class="pagination".*?</nav>', text, re.S)
    assert nav is not None, "no pagination"
    links = re.findall(r'<a href="\?([^"]*)">([^<]*)</a>', nav.group(0))
    return {
        ("Next" if "Next" in label else "Previous"): parse_qs(html.unescape(query))
        for query, label in links
    }


@pytest.fixture
def samsung():
    return StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")


@pytest.fixture
def hynix():
    return StockFactory(code="000660", name_ko="SK하이닉스", name_en="SK hynix")


# --- /news/ -------------------------------------------------------------------------------------


def test_news_page_lists_articles_newest_first(page_client, samsung):
    source = FeedSourceFactory(name="연합뉴스")
    older = ArticleFactory(title="반도체 수출 호조", source=source, published_at=ago(hours=2))
    newer = ArticleFactory(
        title="삼성전자 신고가", summary="외국인 순매수가 이어졌다.", stocks=[samsung],
        sentiment=Sentiment.POSITIVE, sentiment_score=0.8, published_at=ago(hours=1),
    )  # fmt: skip

    text = page(page_client.get("/news/"))

    assert listed_ids(text) == [newer.id, older.id]
    assert "반도체 수출 호조" in text
    assert "외국인 순매수가 이어졌다." in text
    assert "연합뉴스" in text
    assert 'href="/stocks/005930/"' in section(text, "article-list", "</ul>")
    assert 'data-testid="sentiment"' in text
    assert "2 articles" in text
    assert filter_errors(text) == []


def test_news_page_without_articles_says_so(page_client):
    text = page(page_client.get("/news/"))

    assert listed_ids(text) == []
    assert "No news yet" in text


def test_news_page_filters_by_stock(page_client, samsung, hynix):
    linked = ArticleFactory(stocks=[samsung])
    ArticleFactory(stocks=[hynix])
    ArticleFactory()

    assert listed_ids(page(page_client.get("/news/", {"stock": "005930"}))) == [linked.id]


def test_news_page_filters_by_source(page_client):
    wire = FeedSourceFactory(name="Wire")
    from_wire = ArticleFactory(source=wire)
    ArticleFactory()

    text = page(page_client.get("/news/", {"source": wire.id}))

    assert listed_ids(text) == [from_wire.id]
    assert re.search(rf'<option value="{wire.id}" selected>Wire</option>', text)


@pytest.mark.parametrize("sentiment", ["positive", "neutral", "negative"])
def test_news_page_filters_by_sentiment(page_client, sentiment):
    by_sentiment = {
        value: ArticleFactory(sentiment=value, sentiment_score=0.5) for value in Sentiment.values
    }
    ArticleFactory()

    text = page(page_client.get("/news/", {"sentiment": sentiment}))

    assert listed_ids(text) == [by_sentiment[sentiment].id]


def test_news_page_search_finds_korean_words_inside_compounds_most_relevant_first(page_client):
    summary_only = ArticleFactory(
        title="장 마감 시황", summary="메모리반도체가 반등했다.", published_at=ago(minutes=1)
    )
    in_title = ArticleFactory(title="메모리반도체가 반등", published_at=ago(days=1))
    ArticleFactory(title="한반도 정세 긴장")

    text = page(page_client.get("/news/", {"q": "반도체"}))

    assert listed_ids(text) == [in_title.id, summary_only.id]
    assert "Most relevant first." in text
    assert 'value="반도체"' in text  # the search box keeps the query


def test_news_page_combines_filters(page_client, samsung):
    wanted = ArticleFactory(stocks=[samsung], sentiment="negative", title="Samsung chip slump")
    ArticleFactory(stocks=[samsung], sentiment="positive", title="Samsung chip rally")
    ArticleFactory(sentiment="negative", title="Chip slump deepens")

    text = page(
        page_client.get("/news/", {"stock": "005930", "sentiment": "negative", "q": "chip"})
    )

    assert listed_ids(text) == [wanted.id]


def test_news_page_with_no_match_says_no_article_matches(page_client):
    ArticleFactory(title="Chip exports rise")

    text = page(page_client.get("/news/", {"q": "battery"}))

    assert listed_ids(text) == []
    assert "No article matches these filters." in text


def test_blank_filters_do_not_filter_or_warn(page_client):
    articles = [ArticleFactory(published_at=ago(hours=n)).id for n in (1, 2)]

    text = page(
        page_client.get("/news/", {"q": "", "stock": "", "source": "", "sentiment": "", "page": ""})
    )

    assert listed_ids(text) == articles
    assert filter_errors(text) == []


@pytest.mark.parametrize(
    ("invalid", "label"),
    [
        ({"stock": "12345"}, "Stock code"),
        ({"stock": "999999"}, "Stock code"),  # well-formed, but not listed
        ({"q": "a"}, "Search"),
        ({"source": "999999"}, "Source"),
        ({"source": "abc"}, "Source"),
        ({"sentiment": "happy"}, "Sentiment"),
    ],
)
def test_invalid_filter_is_shown_and_ignored_while_valid_ones_apply(
    page_client, samsung, invalid, label
):
    positive = ArticleFactory(sentiment="positive", stocks=[samsung], published_at=ago(hours=1))
    negative = ArticleFactory(sentiment="negative", stocks=[samsung], published_at=ago(hours=2))

    text = page(page_client.get("/news/", {"sentiment": "positive", **invalid}))

    errors = filter_errors(text)
    assert len(errors) == 1
    assert errors[0].startswith(f"{label}:")
    if "sentiment" in invalid:  # it replaced the valid filter: nothing is left to filter by
        assert listed_ids(text) == [positive.id, negative.id]
    else:
        assert listed_ids(text) == [positive.id]


def test_several_invalid_filters_each_get_a_message(page_client):
    article = ArticleFactory()

    text = page(page_client.get("/news/", {"stock": "abc", "q": "!", "sentiment": "happy"}))

    assert len(filter_errors(text)) == 3
    assert listed_ids(text) == [article.id]


def test_invalid_filter_message_is_shown_in_korean_by_default(client):
    ArticleFactory()

    response = client.get("/news/", {"stock": "12345"})

    assert response.status_code == 200
    assert "종목코드는 005930처럼 6자리 숫자입니다." in "".join(filter_errors(page(response)))


# --- /news/ pagination --------------------------------------------------------------------------


@pytest.fixture
def five_articles(settings) -> list[int]:
    """Five articles, newest first, two per page."""
    settings.NEWS_PAGE_SIZE = 2
    return [ArticleFactory(published_at=ago(hours=n), sentiment="positive").id for n in range(5)]


def test_news_page_paginates_keeping_the_filters(page_client, five_articles):
    ArticleFactory(sentiment="negative")

    first = page(page_client.get("/news/", {"sentiment": "positive"}))
    assert listed_ids(first) == five_articles[:2]
    assert "Page 1 of 3" in first
    assert pagination_links(first) == {"Next": {"sentiment": ["positive"], "page": ["2"]}}

    second = page(page_client.get("/news/", {"sentiment": "positive", "page": "2"}))
    assert listed_ids(second) == five_articles[2:4]
    assert pagination_links(second) == {
        "Previous": {"sentiment": ["positive"], "page": ["1"]},
        "Next": {"sentiment": ["positive"], "page": ["3"]},
    }

    last = page(page_client.get("/news/", {"sentiment": "positive", "page": "3"}))
    assert listed_ids(last) == five_articles[4:]
    assert set(pagination_links(last)) == {"Previous"}


@pytest.mark.parametrize(
    ("raw", "expected_page"),
    [("abc", 1), ("", 1), ("0", 1), ("-2", 1), ("1.5", 1), ("999", 3), ("9" * 30, 3)],
)
def test_garbage_or_out_of_range_page_is_not_an_error(
    page_client, five_articles, raw, expected_page
):
    text = page(page_client.get("/news/", {"page": raw}))

    assert f"Page {expected_page} of 3" in text
    start = (expected_page - 1) * 2
    assert listed_ids(text) == five_articles[start : start + 2]
    assert filter_errors(text) == []


def test_a_single_page_has_no_pagination(page_client):
    ArticleFactory()

    assert '<nav class="pagination"' not in page(page_client.get("/news/"))


# --- /news/<id>/ --------------------------------------------------------------------------------


def test_article_page_shows_the_article_and_links_to_the_original_safely(
    page_client, samsung, hynix
):
    source = FeedSourceFactory(name="연합뉴스")
    article = ArticleFactory(
        source=source, url="https://news.example/ko/42", title="삼성전자, HBM 공급 확대",
        summary="메모리 반도체 수요가 늘었다.", stocks=[samsung, hynix],
        sentiment=Sentiment.POSITIVE, sentiment_score=0.75,
    )  # fmt: skip

    text = page(page_client.get(f"/news/{article.id}/"))

    article_html = section(text, "news-article", "</article>")
    assert "삼성전자, HBM 공급 확대</h1>" in article_html
    assert "메모리 반도체 수요가 늘었다." in article_html
    assert f'href="/news/?source={source.id}">연합뉴스</a>' in article_html
    original = re.search(r'<a [^>]*href="https://news\.example/ko/42"[^>]*>', article_html)
    assert original is not None
    rel = re.search(r'rel="([^"]*)"', original.group(0))
    assert rel is not None
    assert "noopener" in rel.group(1).split()
    linked = section(text, "linked-stocks", "</ul>")
    assert re.findall(r'href="/stocks/(\d{6})/"', linked) == ["000660", "005930"]
    assert 'href="/news/?stock=005930"' in linked


def test_article_page_of_an_unanalysed_article_says_so(page_client):
    article = ArticleFactory()

    text = page(page_client.get(f"/news/{article.id}/"))

    assert "not analysed yet" in text
    assert 'data-testid="linked-stocks"' not in text


def test_missing_article_page_is_404_with_a_reason(page_client):
    ArticleFactory()

    response = page_client.get("/news/424242/")

    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text
    assert "There is no article with the id 424242" in text


@pytest.mark.parametrize("article_id", ["0", "99999999999999999999"])
def test_impossible_article_id_page_is_404(client, article_id):
    assert client.get(f"/news/{article_id}/").status_code == 404


# --- escaping -----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["list", "search", "detail", "stock"])
def test_article_text_is_escaped(page_client, samsung, where):
    article = ArticleFactory(
        title=f"{SCRIPT} 반도체",
        summary=SCRIPT,
        stocks=[samsung],
        source=FeedSourceFactory(name=SCRIPT),
    )
    url, params = {
        "list": ("/news/", {}),
        "search": ("/news/", {"q": "반도체"}),
        "detail": (f"/news/{article.id}/", {}),
        "stock": ("/stocks/005930/", {}),
    }[where]

    text = page(page_client.get(url, params))

    assert ESCAPED_SCRIPT in text
    assert SCRIPT not in text


def test_search_query_is_escaped_in_the_search_box(page_client):
    text = page(page_client.get("/news/", {"q": '"><script>alert(1)</script>'}))

    assert SCRIPT not in text


# --- the stock page's news panel ----------------------------------------------------------------


def test_stock_page_shows_its_newest_news_only(page_client, samsung, hynix, settings):
    settings.NEWS_ON_STOCK_PAGE = 2
    newest = ArticleFactory(stocks=[samsung, hynix], published_at=ago(minutes=5))
    second = ArticleFactory(stocks=[samsung], published_at=ago(hours=1))
    ArticleFactory(stocks=[samsung], published_at=ago(days=1))  # third: beyond the panel's size
    ArticleFactory(stocks=[hynix], published_at=ago(minutes=1), title="하이닉스만의 소식")
    ArticleFactory(published_at=ago(seconds=1))

    text = page(page_client.get("/stocks/005930/"))

    panel = section(text, "stock-news", "</section>")
    assert panel_ids(text) == [newest.id, second.id]
    assert "하이닉스만의 소식" not in text
    assert 'href="/news/?stock=005930"' in panel


def test_stock_page_without_news_shows_the_empty_state(page_client, samsung, hynix):
    ArticleFactory(stocks=[hynix])

    text = page(page_client.get("/stocks/005930/"))

    panel = section(text, "stock-news", "</section>")
    assert panel_ids(text) == []
    assert 'data-testid="article"' not in panel
    assert "No news mentions this stock yet." in panel


# --- query counts and the cache -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("articles", [3, 15])
def test_news_page_is_four_queries_cold_and_none_warm(
    page_client, django_assert_num_queries, articles
):
    stocks = [StockFactory() for _ in range(3)]
    for _ in range(articles):
        ArticleFactory(stocks=stocks)

    # the sources for the filter, then the count, the page with its sources, the linked stocks
    with django_assert_num_queries(4):
        cold = page(page_client.get("/news/"))
    with django_assert_num_queries(0):
        warm = page(page_client.get("/news/"))

    assert len(listed_ids(cold)) == articles
    assert listed_ids(warm) == listed_ids(cold)


@pytest.mark.django_db(transaction=True)
def test_newly_linked_article_shows_on_the_cached_stock_page(page_client, samsung):
    older = ArticleFactory(stocks=[samsung], published_at=ago(hours=1))
    newer = ArticleFactory(published_at=ago(minutes=1))
    assert panel_ids(page(page_client.get("/stocks/005930/"))) == [older.id]

    newer.stocks.add(samsung)

    assert panel_ids(page(page_client.get("/stocks/005930/"))) == [newer.id, older.id]


@pytest.mark.django_db(transaction=True)
def test_new_source_appears_in_the_cached_source_filter(page_client):
    FeedSourceFactory(name="Old Wire")
    assert "Old Wire</option>" in page(page_client.get("/news/"))

    new = FeedSourceFactory(name="New Wire")

    assert f'<option value="{new.id}">New Wire</option>' in page(page_client.get("/news/"))


# --- the source filter with a large catalogue (issue 16, item 13) ------------------------------


def source_options(text: str) -> list[str]:
    select = text.split('name="source"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d*)"', select)


def test_news_page_with_thousands_of_sources_offers_only_the_most_read(page_client):
    FeedSource.objects.bulk_create(
        FeedSource(name=f"Wire {n:04}", url=f"https://feeds.example/bulk/{n}.xml", language="en")
        for n in range(4000)
    )
    busy = FeedSourceFactory(name="Zulu Wire")  # last by name, first by articles
    ArticleFactory(source=busy)

    response = page_client.get("/news/")

    text = page(response)
    options = source_options(text)
    assert len(options) == 1 + 50  # "All sources" and the NEWS_SOURCE_CHOICES most read
    assert str(busy.id) in options
    assert len(response.content) < 64 * 1024, len(response.content)


def test_a_source_outside_the_top_ones_still_filters_and_is_selected(page_client, settings):
    settings.NEWS_SOURCE_CHOICES = 2
    top = [FeedSourceFactory(name=f"Top {n}") for n in range(2)]
    for source in top:
        ArticleFactory.create_batch(2, source=source)
    rare = FeedSourceFactory(name="Rare Wire")
    only = ArticleFactory(source=rare)
    assert str(rare.id) not in source_options(page(page_client.get("/news/")))

    text = page(page_client.get("/news/", {"source": rare.id}))

    assert listed_ids(text) == [only.id]
    assert filter_errors(text) == []
    assert f'<option value="{rare.id}" selected>Rare Wire</option>' in text
    assert sorted(source_options(text)) == sorted(["", *(str(s.id) for s in [*top, rare])])
