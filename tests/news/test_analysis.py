"""Stock linking and sentiment (L9) on the labelled set, and the analysis service."""

from __future__ import annotations

import pytest
from django.utils import timezone

from news import services
from news.models import Article, FeedSource
from tests.news.labelled import linking_counts, matcher, sentiment_accuracy
from tests.stocks.factories import StockFactory


def linking_scores() -> tuple[float, float]:
    true_pos, false_pos, false_neg = linking_counts()
    return true_pos / (true_pos + false_pos), true_pos / (true_pos + false_neg)


def test_stock_linking_on_the_labelled_set_is_precise_and_complete():
    precision, recall = linking_scores()

    assert precision == 1.0
    assert recall >= 0.95


def test_sentiment_on_the_labelled_set():
    assert sentiment_accuracy() >= 0.85


@pytest.mark.parametrize(
    ("text", "codes"),
    [("LG에너지솔루션 급등", {"373220"}),     # not also LG
     ("KT&G 배당", {"033780"}),               # not also KT
     ("올기아 캠핑장", set()),                  # 기아 inside another word
     ("기아가 올랐다", {"000270"}),             # with a particle
     ("kt.com outage", set()),                 # short English names keep their case
     ("code 1005930 is not 005930?", {"005930"})],
)  # fmt: skip
def test_short_names_do_not_hit_inside_other_words(text, codes):
    assert matcher().codes_in(text) == codes


@pytest.mark.django_db
def test_analysis_links_stocks_and_scores_each_new_article_once():
    samsung = StockFactory(code="005930", name_ko="삼성전자", name_en="Samsung Electronics")
    StockFactory(code="000660", name_ko="SK하이닉스", name_en="SK hynix")
    source = FeedSource.objects.create(name="wire", url="https://wire.example/rss", language="en")
    article = Article.objects.create(
        source=source, url="https://wire.example/1", language="en", published_at=timezone.now(),
        title="Samsung Electronics shares rally", summary="Chip prices rebound.",
    )  # fmt: skip

    assert services.articles_analyse() == 1
    assert services.articles_analyse() == 0  # already analysed

    article.refresh_from_db()
    assert list(article.stocks.all()) == [samsung]
    assert article.sentiment == "positive" and article.sentiment_score > 0
