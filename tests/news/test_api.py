"""The news API (N3): the filtered, searchable, paginated article list and an article's detail."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from news import services
from news.models import Language, Sentiment
from tests.news.factories import ArticleFactory, FeedSourceFactory
from tests.stocks.factories import StockFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/news/"


def detail_url(article_id: int) -> str:
    return f"/api/v1/news/{article_id}/"


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def link(url: str | None) -> tuple[str, dict[str, list[str]]] | None:
    """A pagination link as (path, parsed query), so parameter order does not matter."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qs(parts.query)


@pytest.fixture
def samsung():
    return StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")


@pytest.fixture
def hynix():
    return StockFactory(code="000660", name_ko="SK하이닉스", name_en="SK hynix")


# --- the list: rows and order -------------------------------------------------------------------


def test_list_is_public_and_newest_first(api_client):
    middle = ArticleFactory(published_at=ago(hours=2))
    newest = ArticleFactory(published_at=ago(minutes=1))
    oldest = ArticleFactory(published_at=ago(days=3))

    response = api_client.get(LIST_URL)

    assert ids(response) == [newest.id, middle.id, oldest.id]
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)


def test_articles_published_together_are_ordered_by_id_descending(api_client):
    moment = ago(hours=1)
    first, second = ArticleFactory.create_batch(2, published_at=moment)

    assert ids(api_client.get(LIST_URL)) == [second.id, first.id]


def test_list_rows_carry_the_article_with_its_source_and_stocks(api_client, samsung, hynix):
    source = FeedSourceFactory(name="연합뉴스", language=Language.KOREAN)
    article = ArticleFactory(
        source=source, url="https://news.example/ko/1", title="삼성전자, HBM 공급 확대",
        summary="메모리 반도체 수요가 늘었다.", language=Language.KOREAN,
        sentiment=Sentiment.POSITIVE, sentiment_score=0.75, stocks=[samsung, hynix],
    )  # fmt: skip

    (row,) = api_client.get(LIST_URL).json()["results"]

    assert row == {
        "id": article.id,
        "title": "삼성전자, HBM 공급 확대",
        "summary": "메모리 반도체 수요가 늘었다.",
        "url": "https://news.example/ko/1",
        "source": {"id": source.id, "name": "연합뉴스"},
        "language": "ko",
        "published_at": timezone.localtime(article.published_at).isoformat(),
        "sentiment": "positive",
        "sentiment_score": 0.75,
        "stocks": [  # by code
            {"code": "000660", "name_ko": "SK하이닉스", "name_en": "SK hynix"},
            {"code": "005930", "name_ko": "삼성전자", "name_en": "Samsung Electronics"},
        ],
    }


def test_unanalysed_article_has_null_sentiment_and_no_stocks(api_client):
    ArticleFactory()

    (row,) = api_client.get(LIST_URL).json()["results"]

    assert (row["sentiment"], row["sentiment_score"], row["stocks"]) == (None, None, [])


# --- the list: filters --------------------------------------------------------------------------


def test_stock_filter_lists_only_articles_linked_to_that_stock(api_client, samsung, hynix):
    both = ArticleFactory(stocks=[samsung, hynix], published_at=ago(hours=1))
    only_samsung = ArticleFactory(stocks=[samsung], published_at=ago(hours=2))
    ArticleFactory(stocks=[hynix])
    ArticleFactory()

    response = api_client.get(LIST_URL, {"stock": "005930"})

    assert ids(response) == [both.id, only_samsung.id]
    assert response.json()["count"] == 2


def test_stock_filter_of_a_stock_without_news_is_empty_not_an_error(api_client, samsung):
    ArticleFactory()

    response = api_client.get(LIST_URL, {"stock": "005930"})

    assert ids(response) == []
    assert response.json()["count"] == 0


def test_source_filter_lists_only_that_sources_articles(api_client):
    wire = FeedSourceFactory()
    newer = ArticleFactory(source=wire, published_at=ago(hours=1))
    older = ArticleFactory(source=wire, published_at=ago(hours=2))
    ArticleFactory()

    assert ids(api_client.get(LIST_URL, {"source": wire.id})) == [newer.id, older.id]


@pytest.mark.parametrize("sentiment", ["positive", "neutral", "negative"])
def test_sentiment_filter_lists_only_that_sentiment(api_client, sentiment):
    by_sentiment = {
        value: ArticleFactory(sentiment=value, sentiment_score=0.5) for value in Sentiment.values
    }
    ArticleFactory()  # not analysed yet: matches no sentiment

    assert ids(api_client.get(LIST_URL, {"sentiment": sentiment})) == [by_sentiment[sentiment].id]


def test_filters_combine(api_client, samsung, hynix):
    wire = FeedSourceFactory()
    wanted = ArticleFactory(
        source=wire, stocks=[samsung], sentiment="positive", title="삼성전자 반도체 호조"
    )
    for near_miss in (
        {"source": wire, "stocks": [hynix], "sentiment": "positive", "title": "반도체 호조"},
        {"stocks": [samsung], "sentiment": "positive", "title": "반도체 호조"},
        {"source": wire, "stocks": [samsung], "sentiment": "negative", "title": "반도체 부진"},
        {"source": wire, "stocks": [samsung], "sentiment": "positive", "title": "배당 확대"},
    ):
        ArticleFactory(**near_miss)

    response = api_client.get(
        LIST_URL, {"stock": "005930", "source": wire.id, "sentiment": "positive", "q": "반도체"}
    )

    assert ids(response) == [wanted.id]


def test_blank_filters_do_not_filter(api_client, samsung):
    newer = ArticleFactory(stocks=[samsung], sentiment="negative", published_at=ago(hours=1))
    older = ArticleFactory(published_at=ago(hours=2))

    response = api_client.get(
        LIST_URL, {"stock": "", "q": "", "source": "", "sentiment": "", "page": ""}
    )

    assert ids(response) == [newer.id, older.id]


# --- the list: search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "title", "decoys"),
    [
        # a two-syllable word inside a compound, followed by a particle
        ("반도체", "메모리반도체가 반등", ["한반도 정세 긴장", "초전도체 연구 성과"]),
        ("삼성전자", "삼성전자가 신고가", ["삼성물산 합병 추진", "전자담배 규제 강화"]),
        ("하이닉스", "SK하이닉스의 HBM 증산", ["하이브 실적 발표"]),
        ("전자", "LG전자는 가전 판매 호조", ["전력 수요 급증"]),
    ],
)
def test_korean_search_finds_a_word_inside_a_longer_run(api_client, q, title, decoys):
    match = ArticleFactory(title=title, summary="")
    for decoy in decoys:
        ArticleFactory(title=decoy, summary="")

    assert ids(api_client.get(LIST_URL, {"q": q})) == [match.id]


def test_korean_search_looks_in_the_summary_too(api_client):
    match = ArticleFactory(title="장 마감 시황", summary="외국인이 반도체주를 순매수했다.")
    ArticleFactory(title="장 마감 시황", summary="외국인이 자동차주를 순매수했다.")

    assert ids(api_client.get(LIST_URL, {"q": "반도체"})) == [match.id]


@pytest.mark.parametrize("q", ["semicon", "SEMICON", "Semiconductor"])
def test_english_search_matches_word_prefixes_case_insensitively(api_client, q):
    newer = ArticleFactory(title="Semiconductor outlook brightens", published_at=ago(hours=1))
    older = ArticleFactory(title="Memory SEMICONDUCTORS rally", published_at=ago(hours=2))
    ArticleFactory(title="Seminar on conductors")

    assert ids(api_client.get(LIST_URL, {"q": q})) == [newer.id, older.id]


def test_english_search_does_not_match_inside_a_word(api_client):
    ArticleFactory(title="Semiconductor outlook brightens")
    conductors = ArticleFactory(title="Seminar on conductors")

    assert ids(api_client.get(LIST_URL, {"q": "conductor"})) == [conductors.id]


def test_search_needs_every_word(api_client):
    both = ArticleFactory(title="삼성전자, HBM 공급 확대")
    ArticleFactory(title="삼성전자 3분기 실적")
    ArticleFactory(title="HBM demand soars")

    assert ids(api_client.get(LIST_URL, {"q": "삼성전자 hbm"})) == [both.id]


def test_search_ranks_title_matches_above_summary_matches_then_by_recency(api_client):
    summary_only = ArticleFactory(
        title="장 마감 시황", summary="메모리 반도체 가격 상승", published_at=ago(minutes=1)
    )
    older_title = ArticleFactory(title="반도체 수출 호조", summary="", published_at=ago(hours=3))
    newer_title = ArticleFactory(title="반도체 장비 투자", summary="", published_at=ago(hours=1))
    ArticleFactory(title="자동차 수출 호조", published_at=ago(seconds=1))

    response = api_client.get(LIST_URL, {"q": "반도체"})

    assert ids(response) == [newer_title.id, older_title.id, summary_only.id]
    assert response.json()["count"] == 3


def test_english_search_ranks_title_matches_first(api_client):
    summary_only = ArticleFactory(
        title="Market wrap", summary="Chip stocks led the gains.", published_at=ago(minutes=1)
    )
    in_title = ArticleFactory(title="Chip exports rise", summary="", published_at=ago(days=1))

    assert ids(api_client.get(LIST_URL, {"q": "chip"})) == [in_title.id, summary_only.id]


# --- the list: invalid filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stock": "12345"}, "stock"),
        ({"stock": "abcdef"}, "stock"),
        ({"stock": "0059300"}, "stock"),
        ({"stock": "999999"}, "stock"),  # well-formed, but no such stock is listed
        ({"q": "a"}, "q"),
        ({"q": "반"}, "q"),
        ({"q": "!!"}, "q"),
        ({"q": " a - "}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"sentiment": "happy"}, "sentiment"),
        ({"sentiment": "POSITIVE"}, "sentiment"),
        ({"source": "abc"}, "source"),
        ({"source": "0"}, "source"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
    ],
)
def test_invalid_filter_is_400_json_naming_the_field(api_client, samsung, params, field):
    ArticleFactory(stocks=[samsung])

    response = api_client.get(LIST_URL, {"sentiment": "positive", **params})

    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field, "code"]
    assert isinstance(body[field], list)
    assert body[field]


def test_invalid_filters_are_all_named_at_once(api_client):
    response = api_client.get(LIST_URL, {"stock": "12345", "q": "a", "sentiment": "happy"})

    assert response.status_code == 400
    assert set(response.json()) == {"stock", "q", "sentiment", "code"}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("12345", "A stock code is six digits, such as 005930."),
        ("999999", "No listed stock has the code 999999."),
    ],
)
def test_stock_filter_error_says_what_is_wrong(api_client, code, message):
    body = api_client.get(LIST_URL, {"stock": code}).json()

    assert body == {"stock": [message], "code": "invalid"}


def test_short_query_error_says_how_long_a_query_must_be(api_client):
    body = api_client.get(LIST_URL, {"q": "a"}).json()

    assert body == {"q": ["Search for a word of at least 2 letters or digits."], "code": "invalid"}


def test_one_letter_words_alone_are_refused(api_client):
    # each would be a prefix of most of the index: a slow query that finds nothing useful
    ArticleFactory(title="A B testing wins")

    response = api_client.get(LIST_URL, {"q": "a b"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert list(response.json()) == ["q", "code"]


# --- the list: pagination -----------------------------------------------------------------------


@pytest.fixture
def five_articles(settings) -> list[int]:
    """Five articles, newest first, two per page."""
    settings.NEWS_PAGE_SIZE = 2
    return [ArticleFactory(published_at=ago(hours=n)).id for n in range(1, 6)]


def test_pages_link_to_each_other_and_cover_every_article_once(api_client, five_articles):
    first = api_client.get(LIST_URL).json()
    assert first["count"] == 5
    assert [row["id"] for row in first["results"]] == five_articles[:2]
    assert first["previous"] is None
    assert link(first["next"]) == ("http://testserver/api/v1/news/", {"page": ["2"]})

    second = api_client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == five_articles[2:4]
    assert link(second["previous"]) == ("http://testserver/api/v1/news/", {})
    assert link(second["next"]) == ("http://testserver/api/v1/news/", {"page": ["3"]})

    last = api_client.get(second["next"]).json()
    assert [row["id"] for row in last["results"]] == five_articles[4:]
    assert last["next"] is None
    assert link(last["previous"]) == ("http://testserver/api/v1/news/", {"page": ["2"]})


def test_page_links_keep_the_filters(api_client, settings):
    settings.NEWS_PAGE_SIZE = 1
    ArticleFactory.create_batch(3, sentiment="positive", title="반도체 호조")
    ArticleFactory(sentiment="negative", title="반도체 부진")

    body = api_client.get(LIST_URL, {"sentiment": "positive", "q": "반도체", "page": 2}).json()

    assert body["count"] == 3
    filters = {"sentiment": ["positive"], "q": ["반도체"]}
    assert link(body["next"]) == ("http://testserver/api/v1/news/", {**filters, "page": ["3"]})
    assert link(body["previous"]) == ("http://testserver/api/v1/news/", filters)


@pytest.mark.parametrize("page", [4, 10_000])
def test_page_past_the_end_is_404_json(api_client, five_articles, page):
    response = api_client.get(LIST_URL, {"page": page})

    assert response.status_code == 404
    assert list(response.json()) == ["detail", "code"]


def test_no_articles_is_an_empty_first_page_and_404_after_it(api_client):
    empty = api_client.get(LIST_URL)
    assert empty.status_code == 200
    assert empty.json() == {"count": 0, "next": None, "previous": None, "results": []}

    assert api_client.get(LIST_URL, {"page": 2}).status_code == 404


def test_full_last_page_has_no_next_and_the_page_after_it_is_404(api_client, settings):
    settings.NEWS_PAGE_SIZE = 2
    ArticleFactory.create_batch(4)

    assert api_client.get(LIST_URL, {"page": 2}).json()["next"] is None
    assert api_client.get(LIST_URL, {"page": 3}).status_code == 404


# --- GET /api/v1/news/{id}/ ---------------------------------------------------------------------


def test_detail_returns_the_article_as_the_list_shows_it(api_client, samsung, hynix):
    article = ArticleFactory(stocks=[samsung, hynix], sentiment="neutral", sentiment_score=0.1)
    ArticleFactory()

    response = api_client.get(detail_url(article.id))

    assert response.status_code == 200
    (row,) = [row for row in api_client.get(LIST_URL).json()["results"] if row["id"] == article.id]
    assert response.json() == row
    assert [stock["code"] for stock in response.json()["stocks"]] == ["000660", "005930"]


@pytest.mark.parametrize("article_id", ["424242", "0", "99999999999999999999"])
def test_detail_of_a_missing_article_is_404_json(api_client, article_id):
    ArticleFactory()

    response = api_client.get(f"/api/v1/news/{article_id}/")

    assert response.status_code == 404
    assert list(response.json()) == ["detail", "code"]


def test_detail_is_public(api_client):
    article = ArticleFactory()

    assert api_client.get(detail_url(article.id)).status_code == 200


# --- query counts and the cache -----------------------------------------------------------------


def linked_articles(count: int, stocks_each: int) -> None:
    stocks = [StockFactory() for _ in range(stocks_each)]
    for _ in range(count):
        ArticleFactory(stocks=stocks, source=FeedSourceFactory())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("articles", "stocks_each"), [(3, 2), (15, 5)])
def test_cold_list_is_three_queries_however_many_articles_and_stocks(
    api_client, django_assert_num_queries, articles, stocks_each
):
    linked_articles(articles, stocks_each)

    with django_assert_num_queries(3):  # the count, the page with its sources, the linked stocks
        response = api_client.get(LIST_URL)

    assert len(response.json()["results"]) == articles
    assert all(len(row["stocks"]) == stocks_each for row in response.json()["results"])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("articles", [3, 15])
def test_cold_filtered_list_adds_only_the_stock_lookup(
    api_client, django_assert_num_queries, articles
):
    samsung = StockFactory(code="005930")
    source = FeedSourceFactory()
    for _ in range(articles):
        ArticleFactory(source=source, stocks=[samsung, StockFactory()], sentiment="positive",
                       title="삼성전자 반도체 호조")  # fmt: skip
    params = {"stock": "005930", "q": "반도체", "source": source.id, "sentiment": "positive"}

    # the listed-stock check, the stock's id, then the count, the page and the linked stocks
    with django_assert_num_queries(5):
        response = api_client.get(LIST_URL, params)

    assert response.json()["count"] == articles


@pytest.mark.django_db(transaction=True)
def test_warm_list_is_no_queries_and_the_same_response(api_client, django_assert_num_queries):
    linked_articles(5, 3)
    StockFactory(code="005930")
    params = {"stock": "005930", "sentiment": "positive"}
    cold = api_client.get(LIST_URL)
    cold_filtered = api_client.get(LIST_URL, params)

    with django_assert_num_queries(0):
        warm = api_client.get(LIST_URL)
        warm_filtered = api_client.get(LIST_URL, params)

    assert warm.json() == cold.json()
    assert warm_filtered.json() == cold_filtered.json()


@pytest.mark.django_db(transaction=True)
def test_detail_is_two_queries_cold_and_none_warm(api_client, django_assert_num_queries):
    article = ArticleFactory(stocks=[StockFactory(), StockFactory()])

    with django_assert_num_queries(2):  # the article with its source, its linked stocks
        cold = api_client.get(detail_url(article.id))
    with django_assert_num_queries(0):
        warm = api_client.get(detail_url(article.id))

    assert warm.json() == cold.json()


def assert_cached(api_client, django_assert_num_queries, url: str, params: dict | None = None):
    """Read ``url`` twice, the second time from the cache, and return the body."""
    api_client.get(url, params)
    with django_assert_num_queries(0):
        return api_client.get(url, params).json()


@pytest.mark.django_db(transaction=True)
def test_new_article_appears_in_the_cached_list(api_client, django_assert_num_queries):
    old = ArticleFactory(published_at=ago(hours=1))
    assert [row["id"] for row in assert_cached(api_client, django_assert_num_queries, LIST_URL)[
        "results"
    ]] == [old.id]  # fmt: skip

    new = ArticleFactory(published_at=ago(minutes=1))

    assert ids(api_client.get(LIST_URL)) == [new.id, old.id]


@pytest.mark.django_db(transaction=True)
def test_edited_title_shows_in_the_cached_list_detail_and_search(
    api_client, django_assert_num_queries
):
    article = ArticleFactory(title="반도체 수출 호조")
    assert_cached(api_client, django_assert_num_queries, LIST_URL)
    assert_cached(api_client, django_assert_num_queries, detail_url(article.id))
    assert_cached(api_client, django_assert_num_queries, LIST_URL, {"q": "반도체"})
    assert_cached(api_client, django_assert_num_queries, LIST_URL, {"q": "배터리"})

    article.title = "배터리 수출 호조"
    services.article_save(article=article, changed_fields=["title"])

    assert api_client.get(LIST_URL).json()["results"][0]["title"] == "배터리 수출 호조"
    assert api_client.get(detail_url(article.id)).json()["title"] == "배터리 수출 호조"
    assert ids(api_client.get(LIST_URL, {"q": "반도체"})) == []
    assert ids(api_client.get(LIST_URL, {"q": "배터리"})) == [article.id]


@pytest.mark.django_db(transaction=True)
def test_linking_a_stock_shows_in_the_cached_stock_filter_and_detail(
    api_client, django_assert_num_queries
):
    samsung = StockFactory(code="005930")
    hynix = StockFactory(code="000660")
    article = ArticleFactory()
    other = ArticleFactory()
    for code in ("005930", "000660"):
        body = assert_cached(api_client, django_assert_num_queries, LIST_URL, {"stock": code})
        assert body["count"] == 0
    assert assert_cached(api_client, django_assert_num_queries, detail_url(article.id))[
        "stocks"
    ] == []  # fmt: skip
    assert_cached(api_client, django_assert_num_queries, detail_url(other.id))

    article.stocks.add(samsung)
    hynix.articles.add(other)  # from the other side of the relation

    assert ids(api_client.get(LIST_URL, {"stock": "005930"})) == [article.id]
    assert ids(api_client.get(LIST_URL, {"stock": "000660"})) == [other.id]
    assert [s["code"] for s in api_client.get(detail_url(article.id)).json()["stocks"]] == [
        "005930"
    ]
    assert [s["code"] for s in api_client.get(detail_url(other.id)).json()["stocks"]] == ["000660"]


@pytest.mark.django_db(transaction=True)
def test_unlinking_a_stock_shows_in_the_cached_stock_filter(api_client, django_assert_num_queries):
    samsung = StockFactory(code="005930")
    article = ArticleFactory(stocks=[samsung])
    assert assert_cached(api_client, django_assert_num_queries, LIST_URL, {"stock": "005930"})[
        "count"
    ] == 1  # fmt: skip

    article.stocks.remove(samsung)

    assert ids(api_client.get(LIST_URL, {"stock": "005930"})) == []


@pytest.mark.django_db(transaction=True)
def test_analysis_shows_in_the_cached_list_and_detail(api_client, django_assert_num_queries):
    StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")
    article = ArticleFactory(title="Samsung Electronics shares rally", summary="Chips rebound.")
    positive = {"stock": "005930", "sentiment": "positive"}
    assert assert_cached(api_client, django_assert_num_queries, LIST_URL, positive)["count"] == 0
    assert assert_cached(api_client, django_assert_num_queries, detail_url(article.id))[
        "sentiment"
    ] is None  # fmt: skip

    assert services.articles_analyse() == 1

    assert ids(api_client.get(LIST_URL, positive)) == [article.id]
    detail = api_client.get(detail_url(article.id)).json()
    assert detail["sentiment"] == "positive"
    assert [stock["code"] for stock in detail["stocks"]] == ["005930"]


@pytest.mark.django_db(transaction=True)
def test_deleted_article_leaves_the_cached_list_and_detail(api_client, django_assert_num_queries):
    kept = ArticleFactory(published_at=ago(hours=2))
    doomed = ArticleFactory(published_at=ago(hours=1))
    doomed_id = doomed.id
    assert assert_cached(api_client, django_assert_num_queries, LIST_URL)["count"] == 2
    assert_cached(api_client, django_assert_num_queries, detail_url(doomed_id))

    doomed.delete()

    assert ids(api_client.get(LIST_URL)) == [kept.id]
    assert api_client.get(detail_url(doomed_id)).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_pruned_articles_leave_the_cached_list(api_client, django_assert_num_queries):
    kept = ArticleFactory(published_at=ago(days=1))
    ArticleFactory(published_at=ago(days=100), stocks=[StockFactory()])
    assert assert_cached(api_client, django_assert_num_queries, LIST_URL)["count"] == 2

    assert services.articles_prune(older_than_days=90, batch_size=10) == 1

    assert ids(api_client.get(LIST_URL)) == [kept.id]


def test_title_match_outranks_a_summary_repeating_the_word(api_client):
    summary = "반도체 가격, 반도체 재고, 반도체 수출, 반도체 투자, 반도체 장비 모두 개선됐다."
    summary_only = ArticleFactory(
        title="장 마감 시황", summary=summary, published_at=ago(minutes=1)
    )
    in_title = ArticleFactory(title="반도체 수출 호조", summary="", published_at=ago(days=1))

    assert ids(api_client.get(LIST_URL, {"q": "반도체"})) == [in_title.id, summary_only.id]


def test_title_match_outranks_a_summary_with_several_words_of_the_prefix(api_client):
    summary_only = ArticleFactory(
        title="Market wrap", summary="Chipmakers led as chip prices rose and chipset orders grew.",
        published_at=ago(minutes=1),
    )  # fmt: skip
    in_title = ArticleFactory(title="Chip exports rise", summary="", published_at=ago(days=1))

    assert ids(api_client.get(LIST_URL, {"q": "chip"})) == [in_title.id, summary_only.id]
