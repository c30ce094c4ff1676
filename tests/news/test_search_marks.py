"""Article search for words with combining marks (Hindi, Telugu), and the migration that
re-indexes articles stored before marks joined their words; on the real PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from news import selectors
from news.models import Article
from tests.news.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_an_article_is_found_by_a_word_with_combining_marks():
    hindi = ArticleFactory(title="दुनिया के बाज़ार", summary="")
    telugu = ArticleFactory(title="Market wrap", summary="తెలుగు వార్తలు")
    ArticleFactory(title="삼성전자 주가")

    assert list(selectors.article_search(q="दुनिया")) == [hindi]
    assert list(selectors.article_search(q="తెలుగు")) == [telugu]


def test_the_migration_reindexes_articles_indexed_without_their_marks():
    marked = ArticleFactory(title="Markets", summary="दुनिया के बाज़ार")
    plain = ArticleFactory(title="삼성전자 주가", summary="")
    # What the tokeniser wrote before marks joined their words: one-letter pieces.
    Article.objects.filter(pk=marked.pk).update(search_document="'markets':1A 'द':3B 'न':4B")
    Article.objects.filter(pk=plain.pk).update(search_document=None)  # no mark: not read

    importlib.import_module(
        "news.migrations.0004_reindex_words_with_combining_marks"
    ).reindex_articles_with_marks(apps, None)

    assert list(selectors.article_search(q="दुनिया")) == [marked]
    assert list(selectors.article_search(q="markets")) == [marked]
    assert Article.objects.get(pk=plain.pk).search_document is None
