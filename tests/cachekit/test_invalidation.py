"""C3: writes drop exactly the entries that depend on them, after commit, with no scan."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.cachekit.testapp.models import Article, Tag
from tests.cachekit.testapp.selectors import (
    CALLS,
    article_count,
    article_tag_names,
    article_title,
    tag_article_count,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article():
    return Article.objects.create(slug="samsung-q3", title="Samsung Q3")


def test_second_read_is_a_hit(article):
    assert article_title("samsung-q3") == "Samsung Q3"
    assert article_title(slug="samsung-q3") == "Samsung Q3"  # same key, however it is called

    assert CALLS["article_title"] == 1


def test_saving_the_row_drops_its_entry(article):
    article_title("samsung-q3")

    article.title = "Samsung Q3 beats estimates"
    article.save()

    assert article_title("samsung-q3") == "Samsung Q3 beats estimates"
    assert CALLS["article_title"] == 2


def test_saving_another_row_keeps_the_entry(article):
    other = Article.objects.create(slug="lg-q3", title="LG Q3")
    article_title("samsung-q3")

    other.title = "LG Q3 misses"
    other.save()

    assert article_title("samsung-q3") == "Samsung Q3"
    assert CALLS["article_title"] == 1


def test_any_row_entries_drop_on_any_write(article):
    assert article_count() == 1

    Article.objects.create(slug="sk-hynix", title="SK hynix")

    assert article_count() == 2


def test_changing_the_lookup_value_drops_both_old_and_new(article):
    assert article_title("samsung-q3-final") is None
    article_title("samsung-q3")

    article.slug = "samsung-q3-final"
    article.save()

    assert article_title("samsung-q3") is None
    assert article_title("samsung-q3-final") == "Samsung Q3"


def test_delete_drops_the_entry(article):
    article_title("samsung-q3")

    article.delete()

    assert article_title("samsung-q3") is None


def test_rolled_back_write_does_not_invalidate_and_committed_one_does(article):
    article_title("samsung-q3")

    with pytest.raises(RuntimeError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(title="never happened")
        article.title = "never happened"
        article.save()
        raise RuntimeError("roll back")
    assert article_title("samsung-q3") == "Samsung Q3"
    assert CALLS["article_title"] == 1

    with transaction.atomic():
        article.title = "Samsung Q3 restated"
        article.save()
        # not yet committed: the cache still holds the committed value
        assert article_title("samsung-q3") == "Samsung Q3"
        assert CALLS["article_title"] == 1
    assert article_title("samsung-q3") == "Samsung Q3 restated"


def test_values_read_inside_a_writing_transaction_are_not_stored(article):
    """They may hold uncommitted data, and a rollback would invalidate nothing."""
    with pytest.raises(RuntimeError), transaction.atomic():
        article.title = "uncommitted"
        article.save()
        assert article_title("samsung-q3") == "uncommitted"  # computed, not stored
        raise RuntimeError("roll back")

    assert article_title("samsung-q3") == "Samsung Q3"


def test_saving_an_instance_with_a_deferred_lookup_field_still_invalidates(article):
    article_title("samsung-q3")

    partial = Article.objects.only("title").get(pk=article.pk)
    partial.title = "via only()"
    partial.save()

    assert article_title("samsung-q3") == "via only()"


def test_m2m_changes_drop_exactly_the_rows_involved(article):
    semis = Tag.objects.create(name="semiconductors")
    Tag.objects.create(name="autos")
    assert tag_article_count("semiconductors") == 0
    assert tag_article_count("autos") == 0

    article.tags.add(semis)

    assert tag_article_count("semiconductors") == 1
    assert tag_article_count("autos") == 0
    assert CALLS["tag_article_count"] == 3  # only the semiconductors entry was recomputed


def test_get_cached_refuses_a_filtered_queryset(article):
    with pytest.raises(TypeError, match="unfiltered"):
        Article.objects.filter(title="x").get_cached(slug="samsung-q3")


def test_writes_never_scan_the_keyspace(article):
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.config_resetstat()
    article_title("samsung-q3")

    article.title = "t2"
    article.save()
    article.delete()
    Article.objects.filter(slug="x").update(title="y")
    from django.core.management import call_command

    call_command("cache", "clear")

    used = redis.info("commandstats")
    assert not [name for name in used if name in ("cmdstat_keys", "cmdstat_scan")]
    assert "cmdstat_evalsha" in used or "cmdstat_eval" in used  # the bumps did run


def test_m2m_changes_drop_entries_on_both_sides(article):
    semis = Tag.objects.create(name="semiconductors")
    assert article_tag_names("samsung-q3") == []

    article.tags.add(semis)
    assert article_tag_names("samsung-q3") == ["semiconductors"]

    article.tags.remove(semis)
    assert article_tag_names("samsung-q3") == []

    article.tags.add(semis)
    article_tag_names("samsung-q3")
    semis.articles.clear()  # from the other side
    assert article_tag_names("samsung-q3") == []


def test_bulk_update_and_delete_through_our_manager_invalidate(article):
    article_title("samsung-q3")
    Article.objects.filter(slug="samsung-q3").update(title="bulk title")
    assert article_title("samsung-q3") == "bulk title"

    Article.objects.bulk_create([Article(slug="new-one", title="New")])
    assert article_count() == 2

    Article.objects.filter(slug="new-one").delete()
    assert article_count() == 1


def test_bulk_update_through_a_plain_manager_does_not_invalidate(article):
    """Documented limit: only CachingManager/CachingQuerySet know to invalidate bulk writes."""
    article_title("samsung-q3")

    Article.plain.filter(slug="samsung-q3").update(title="silent")

    assert article_title("samsung-q3") == "Samsung Q3"  # stale until its TTL


def test_model_lookup_reads_through_the_cache(article, django_assert_num_queries):
    assert Article.objects.get_cached(slug="samsung-q3").title == "Samsung Q3"
    with django_assert_num_queries(0):
        assert Article.objects.get_cached(slug="samsung-q3").title == "Samsung Q3"

    with pytest.raises(Article.DoesNotExist):
        Article.objects.get_cached(slug="kakao")
    with django_assert_num_queries(0), pytest.raises(Article.DoesNotExist):
        Article.objects.get_cached(slug="kakao")  # the absence is cached too

    Article.objects.create(slug="kakao", title="Kakao")
    assert Article.objects.get_cached(slug="kakao").title == "Kakao"


def test_no_stale_fill_when_a_write_commits_during_the_computation(article):
    """The race ORM caches had to fix, made deterministic: read old data, a write commits and
    invalidates, then the old value is stored. It must not be served as fresh."""
    import threading

    from cachekit import Row, get_or_compute

    def compute_then_concurrent_write() -> str:
        title = Article.objects.get(slug="samsung-q3").title  # reads the old row

        def writer() -> None:
            from django.db import connections

            row = Article.objects.get(slug="samsung-q3")
            row.title = "new title"
            row.save()  # autocommit: committed and invalidated before compute returns
            connections.close_all()

        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        return title

    def read(compute):
        return get_or_compute(
            "title:samsung-q3",
            compute,
            namespace="testapp",
            ttl=60,
            depends_on=[Row(Article, slug="samsung-q3")],
        )

    assert read(compute_then_concurrent_write) == "Samsung Q3"  # this caller saw the old data
    assert read(lambda: Article.objects.get(slug="samsung-q3").title) == "new title"
