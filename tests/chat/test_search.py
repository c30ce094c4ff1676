"""Message search (H8) and popular terms (H13), through the API, on real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat import selectors, services
from chat.models import RoomKind
from core.redis import state_redis
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/chat/search/"


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def room(alice):
    return services.room_create(creator=alice, name="삼성전자 토론방")


@pytest.fixture
def client(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def say(room, user, text: str):  # noqa: ANN001, ANN201
    return services.message_send(room=room, sender=user, content=text)


def found(client: APIClient, q: str, **params: object) -> list[int]:
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("q", ["삼성", "주가", "삼성전자", "급등"])
def test_korean_words_are_found_inside_longer_words_with_particles(client, room, alice, q):
    message = say(room, alice, "삼성전자 주가가 급등했다")
    say(room, alice, "현대차는 보합")
    assert found(client, q) == [message.pk]


def test_a_word_with_a_particle_attached_is_found_by_the_bare_word(client, room, alice):
    message = say(room, alice, "삼성전자가 실적을 발표했다")
    assert found(client, "삼성전자") == [message.pk]


def test_english_is_found_in_any_case_and_every_word_is_required(client, room, alice):
    message = say(room, alice, "Memory CHIP prices are rising")
    say(room, alice, "Chip stocks fell")
    assert found(client, "memory chip") == [message.pk]
    assert found(client, "MEMORY") == [message.pk]


def test_only_rooms_the_user_belongs_to_are_searched(client, room, alice):
    bob = UserFactory()
    elsewhere = services.room_create(creator=bob, name="private", kind=RoomKind.PRIVATE)
    say(elsewhere, bob, "반도체 비밀 이야기")
    mine = say(room, alice, "반도체 업황")
    assert found(client, "반도체") == [mine.pk]
    response = client.get(SEARCH, {"q": "반도체", "room": elsewhere.pk})
    assert response.status_code == 404  # as if the room did not exist


def test_results_rank_by_relevance_then_recency_and_page(client, room, alice):
    older = say(room, alice, "배터리 배터리 배터리 수주")
    once = say(room, alice, "배터리 수주 소식")
    newer_once = say(room, alice, "새 배터리 공장")
    ids = found(client, "배터리")
    assert ids[0] == older.pk  # three mentions
    assert ids[1:] == [newer_once.pk, once.pk]  # then newest first

    page = client.get(SEARCH, {"q": "배터리", "limit": 2, "offset": 0}).json()
    assert (page["total"], page["has_more"], len(page["results"])) == (3, True, 2)
    last = client.get(SEARCH, {"q": "배터리", "limit": 2, "offset": 2}).json()
    assert (last["has_more"], [r["id"] for r in last["results"]]) == (False, [once.pk])


@pytest.mark.parametrize(
    ("text", "q"),
    [
        ("यह दुनिया बड़ी है", "दुनिया"),  # Hindi: its vowel signs are combining marks
        ("నేను తెలుగు మాట్లాడతాను", "తెలుగు"),  # Telugu
    ],
)
def test_words_with_combining_marks_are_accepted_and_found(client, room, alice, text, q):
    message = say(room, alice, text)
    say(room, alice, "삼성전자 주가")

    assert found(client, q) == [message.pk]


def test_the_migration_reindexes_messages_indexed_without_their_marks(client, room, alice):
    import importlib

    from django.apps import apps

    from chat.models import Message

    message = say(room, alice, "यह दुनिया बड़ी है")
    kept = say(room, alice, "삼성전자 주가")
    # What the tokeniser wrote before marks joined their words: one-letter pieces.
    Message.objects.filter(pk=message.pk).update(search_document="'य':1A 'द':3A 'न':4A")
    Message.objects.filter(pk=kept.pk).update(search_document=None)  # has no mark: not read

    importlib.import_module(
        "chat.migrations.0003_reindex_words_with_combining_marks"
    ).reindex_messages_with_marks(apps, None)

    assert found(client, "दुनिया") == [message.pk]
    assert Message.objects.get(pk=kept.pk).search_document is None


@pytest.mark.parametrize("q", ["", "a", "!!", "삼"])
def test_a_query_under_two_letters_is_a_400(client, room, q):
    response = client.get(SEARCH, {"q": q})
    assert response.status_code == 400
    assert "q" in response.json()


def test_deleted_messages_are_not_found_and_edits_are(client, room, alice):
    gone = say(room, alice, "삭제할 반도체 메시지")
    edited = say(room, alice, "오타 메시지")
    services.message_delete(message=gone, deleter=alice)
    services.message_edit(message=edited, editor=alice, content="고친 반도체 메시지")
    assert found(client, "반도체") == [edited.pk]
    assert found(client, "오타") == []


def test_snippets_escape_the_content_and_mark_the_match(client, room, alice):
    say(room, alice, "<script>alert(1)</script> 삼성전자 상승")
    (row,) = client.get(SEARCH, {"q": "삼성"}).json()["results"]
    assert row["snippet"] == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>삼성</mark>전자 상승"


def test_anonymous_search_is_refused(room):
    assert APIClient().get(SEARCH, {"q": "삼성"}).status_code == 401


POPULAR = "/api/v1/search/popular/"


def searcher() -> APIClient:
    """A new user, signed in (popular terms count any search, in whatever rooms)."""
    client = APIClient()
    client.force_authenticate(UserFactory())
    return client


def popular() -> list[dict]:
    response = APIClient().get(POPULAR)
    assert response.status_code == 200, response.content
    return response.json()


def test_popular_terms_count_distinct_searchers_most_first(client, room):
    others = [searcher() for _ in range(3)]
    for who in [client, *others]:  # four users
        who.get(SEARCH, {"q": "반도체"})
    for who, q in zip([client, *others[:2]], ["Samsung", "samsung ", "SAMSUNG"], strict=True):
        who.get(SEARCH, {"q": q})  # the same term, normalised: three users
        who.get(SEARCH, {"q": q})  # and again, which adds nothing
    for who in others[:2]:
        who.get(SEARCH, {"q": "lg"})  # two users: not listed
    for who in others:
        who.get(SEARCH, {"q": "a"})  # refused: not counted
    assert popular() == [{"term": "반도체", "count": 4}, {"term": "samsung", "count": 3}]


def test_one_user_searching_a_term_fifty_times_does_not_list_it(client, room):
    for _ in range(50):
        assert client.get(SEARCH, {"q": "alice의 비밀 검색"}).status_code == 200
    assert popular() == []


def test_a_term_is_listed_once_the_minimum_of_distinct_users_searched_it(settings):
    settings.CHAT_POPULAR_MIN_SEARCHERS = 3
    first, second, third = (searcher() for _ in range(3))
    for _ in range(10):
        first.get(SEARCH, {"q": "HBM"})
        second.get(SEARCH, {"q": "HBM"})
    assert popular() == []  # two users, however often
    third.get(SEARCH, {"q": "HBM"})
    assert popular() == [{"term": "hbm", "count": 3}]


def test_a_user_searching_on_several_days_counts_once(alice):
    today = timezone.localdate()
    bob, carol = UserFactory(), UserFactory()
    for n in range(3):
        services.search_term_record(query="코스피", user_id=alice.pk, day=today - timedelta(n))
    services.search_term_record(query="코스피", user_id=bob.pk, day=today - timedelta(1))
    assert selectors.popular_search_terms() == []  # alice on three days and bob: two searchers

    services.search_term_record(query="코스피", user_id=carol.pk, day=today - timedelta(2))
    assert selectors.popular_search_terms() == [{"term": "코스피", "count": 3}]


def test_searches_older_than_the_window_are_not_counted(alice, settings):
    today = timezone.localdate()
    old = today - timedelta(days=settings.CHAT_POPULAR_DAYS)  # the day before the window
    for user in [alice, UserFactory(), UserFactory()]:
        services.search_term_record(query="현대차", user_id=user.pk, day=old)
    assert selectors.popular_search_terms() == []


def test_one_user_cannot_push_out_terms_others_searched(monkeypatch):
    monkeypatch.setattr(services, "SEARCH_TERMS_PER_DAY", 5)
    for who in [searcher() for _ in range(3)]:
        who.get(SEARCH, {"q": "배터리"})
    flooder = UserFactory()
    for n in range(20):  # four times the day's room, all by one user
        services.search_term_record(query=f"spam{n:02}", user_id=flooder.pk)
    assert popular() == [{"term": "배터리", "count": 3}]
    day = f"{timezone.localdate():%Y%m%d}"
    r = state_redis()
    assert r.zcard(services.search_term_key(day)) == 5  # bounded
    kept = set(r.zrange(services.search_term_key(day), 0, -1))
    for n in range(20):  # an evicted term's HyperLogLog goes with it
        term = f"spam{n:02}"
        assert r.exists(services.search_searchers_key(day, term)) == (term in kept)


@pytest.mark.django_db(transaction=True)  # the cache stores only outside a pending transaction
def test_a_new_message_drops_cached_search_results(django_assert_num_queries):
    alice = UserFactory()
    room = services.room_create(creator=alice, name="general")
    say(room, alice, "코스피 상승")
    assert selectors.message_search(alice.pk, "코스피")["total"] == 1
    with django_assert_num_queries(0):
        selectors.message_search(alice.pk, "코스피")

    say(room, alice, "코스피 하락")

    assert selectors.message_search(alice.pk, "코스피")["total"] == 2


def test_a_common_word_ranks_only_the_newest_matches_and_says_its_total_is_a_floor(
    client, room, alice, settings
):
    settings.CHAT_SEARCH_CANDIDATES = 3
    sent = [say(room, alice, f"반도체 소식 {n}").pk for n in range(5)]

    first = client.get(SEARCH, {"q": "반도체", "limit": 2}).json()
    assert (first["total"], first["total_is_exact"], first["has_more"]) == (3, False, True)
    rest = client.get(SEARCH, {"q": "반도체", "limit": 2, "offset": 2}).json()
    assert rest["has_more"] is False
    ids = [r["id"] for r in first["results"] + rest["results"]]
    assert sorted(ids) == sorted(sent[-3:])  # the newest three, none older
    say(room, alice, "HBM 수주")
    few = client.get(SEARCH, {"q": "HBM"}).json()
    assert (few["total"], few["total_is_exact"]) == (1, True)
