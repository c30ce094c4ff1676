"""F3 for the toolkit: with Redis stopped every helper computes; one warning, no exception."""

from __future__ import annotations

import logging
import time

import pytest
from rest_framework.test import APIClient

from cachekit import get_or_compute, store
from tests.cachekit.testapp.models import Article
from tests.cachekit.testapp.selectors import CALLS, article_title

pytestmark = pytest.mark.django_db(transaction=True)


def test_everything_computes_while_redis_is_down(disposable_redis, caplog, settings):
    settings.ROOT_URLCONF = "tests.cachekit.testapp.urls"
    article = Article.objects.create(slug="a", title="A")
    assert article_title("a") == "A"
    disposable_redis.stop()
    caplog.set_level(logging.WARNING, logger="insightstock.redis")

    started = time.monotonic()
    for _ in range(20):
        assert article_title("a") == "A"
        assert get_or_compute("x", lambda: 42, namespace="t", ttl=5) == 42
        assert Article.objects.get_cached(slug="a").title == "A"
    # writes still work; their invalidation is remembered for when Redis is back
    article.title = "B"
    article.save()
    assert article_title("a") == "B"
    elapsed = time.monotonic() - started

    assert CALLS["article_title"] == 22
    warnings = [r for r in caplog.records if r.name == "insightstock.redis"]
    assert 1 <= len(warnings) <= 3, [r.getMessage() for r in warnings]
    # the breaker skips Redis instead of paying a connection attempt per call
    assert elapsed < 5


def test_routes_answer_while_redis_is_down(disposable_redis, user, settings):
    settings.ROOT_URLCONF = "tests.cachekit.testapp.urls"
    from accounts.tokens import access_token_encode

    access = access_token_encode(user_id=user.pk, token_generation=user.token_generation)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {access}")
    disposable_redis.stop()

    first = client.get("/api/v1/test/whoami/")
    second = client.get("/api/v1/test/whoami/")

    assert first.status_code == second.status_code == 200
    assert second.json()["render"] == 2  # computed each time, never an error


def test_an_invalidation_missed_during_an_outage_is_made_good(disposable_redis, settings):
    """If a write's invalidation cannot reach Redis, the entries it should have dropped must not
    be served when Redis answers again: the process that missed it clears every namespace."""
    article = Article.objects.create(slug="a", title="A")
    assert article_title("a") == "A"
    store.breaker.reset()
    # Redis unreachable only for the write's invalidation
    real_bump = store.bump

    def failing_bump(tags):
        raise store.RedisUnavailable

    store.bump = failing_bump
    try:
        article.title = "B"
        article.save()
    finally:
        store.bump = real_bump

    assert article_title("a") == "B"
