"""Demo news (issue 6, item 8): the site serves its own feeds and the crawler reads them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from news import services
from news.models import Article, FeedSource


@pytest.mark.django_db(transaction=True)
def test_demo_sources_are_crawled_over_http_from_the_site_itself(asgi_server, settings):
    server = asgi_server()
    settings.NEWS_DEMO_FEED_BASE_URL = server.http_url
    call_command("seed_demo", stdout=StringIO())
    assert FeedSource.objects.count() == 3

    first = services.feeds_crawl()
    second = services.feeds_crawl()

    assert (first.sources, first.failed_sources) == (3, 0)
    assert first.new_articles == Article.objects.count() == 17
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "ko"}
    assert Article.objects.filter(
        title="LG에너지솔루션, 미국 완성차 업체와 배터리 공급 계약"
    ).exists()
    assert second.new_articles == 0  # unchanged feeds: conditional requests
    assert all(source.etag or source.last_modified for source in FeedSource.objects.all())
