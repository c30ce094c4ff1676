"""Korean + English full-text search (core.textsearch) on the real PostgreSQL."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from django.db import connection

from core import textsearch
from core.textsearch import (
    MAX_QUERY_TERMS,
    document_vector,
    search_query,
    search_terms,
    searchable_chars,
)


def _matches(document: str, query: str) -> bool:
    literal = search_query(query)
    assert literal is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsvector @@ %s::tsquery", [document, literal])
        return cursor.fetchone()[0]


def test_korean_runs_become_overlapping_pairs_at_consecutive_positions():
    assert document_vector([("반도체", "A")]) == "'반도':1A '도체':2A"


def test_words_are_lower_cased_and_korean_is_split_from_latin():
    assert search_terms("SK하이닉스 HBM3E") == ["sk", "하이닉스", "hbm3e"]


def test_punctuation_only_is_no_query():
    assert search_query("!!! ...") is None
    assert search_query("") is None


def test_query_terms_are_capped():
    assert len(search_terms(" ".join(f"w{n}" for n in range(50)))) == MAX_QUERY_TERMS


def test_quotes_and_backslashes_cannot_break_the_literal():
    # Only letters and digits become tokens, so these never reach the literal.
    assert search_query("it's \\ 'xy'") == "'it':* & 'xy':*"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("삼성전자가 반도체 투자를 늘린다", "삼성전자"),  # a particle attached
        ("메모리반도체 업황 회복", "반도체"),  # inside a compound, no space
        ("메모리반도체 업황 회복", "메모리"),
        ("카카오, 규제 우려에 약세", "규제"),  # a two-syllable word
        ("SK하이닉스, HBM 매출 사상 최대", "하이닉스"),
        ("SK하이닉스, HBM 매출 사상 최대", "sk하이닉스"),
        ("Samsung Electronics rallies", "samsung"),
        ("Samsung Electronics rallies", "electron"),  # a prefix of a word
        ("Samsung Electronics rallies", "rallies samsung"),  # every word, any order
        ("005930 삼성전자", "005930"),
        ("ＳＡＭＳＵＮＧ", "samsung"),  # full-width letters (NFKC)
    ],
)
def test_finds(text, query):
    assert _matches(document_vector([(text, "A")]), query)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("삼성 성전 전자", "삼성전자"),  # its pairs, but not in a row
        ("반도 체육", "반도체"),  # pairs split by a space
        ("Samsung Electronics", "samsung hynix"),  # one word missing
        ("Samsung Electronics", "electronicsx"),
        ("semiconductor", "conductor"),  # English matches from a word's start only
    ],
)
def test_does_not_find(text, query):
    assert not _matches(document_vector([(text, "A")]), query)


@pytest.mark.django_db
def test_no_phrase_matches_across_two_fields():
    # Title ends with 반도, summary starts with 체: together they are not 반도체.
    document = document_vector([("국내 반도", "A"), ("체육 행사", "B")])
    assert not _matches(document, "반도체")
    assert _matches(document, "반도")


@pytest.mark.django_db
def test_title_weight_ranks_above_summary_weight():
    in_title = document_vector([("반도체 수출", "A"), ("", "B")])
    in_summary = document_vector([("수출 동향", "A"), ("반도체 수출", "B")])
    literal = search_query("반도체")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ts_rank(%s::tsvector, %s::tsquery) > ts_rank(%s::tsvector, %s::tsquery)",
            [in_title, literal, in_summary, literal],
        )
        assert cursor.fetchone()[0]


@pytest.mark.django_db
def test_very_long_and_repetitive_text_stays_a_valid_vector():
    text = ("반도체 " * 2000) + ("x" * 5000)
    with connection.cursor() as cursor:
        cursor.execute("SELECT length(%s::tsvector)", [document_vector([(text, "A")])])
        assert cursor.fetchone()[0] == 3  # 반도, 도체 and the (cut) long word


@pytest.mark.django_db
def test_a_weighted_query_matches_only_fields_of_that_weight():
    document = document_vector([("시황", "A"), ("반도체 chip", "B")])
    assert _matches(document, "반도체")
    for query in ("반도체", "chip"):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT %s::tsvector @@ %s::tsquery",
                [document, search_query(query, weights="A")],
            )
            assert not cursor.fetchone()[0]


def test_one_letter_words_are_dropped_but_one_syllable_korean_is_kept():
    # "a" would be a prefix of most of the index: a slow, useless query.
    assert search_terms("a b 차 LG") == ["차", "lg"]
    assert search_query("a b c") is None


@pytest.mark.django_db
def test_more_text_than_a_tsvector_holds_is_cut_not_refused():
    words = " ".join(f"word{n}" for n in range(200_000))  # ~2 MB of distinct words
    with connection.cursor() as cursor:
        cursor.execute("SELECT length(%s::tsvector) > 0", [document_vector([(words, "B")])])
        assert cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("दुनिया", ["दुनिया"]),  # Hindi: vowel signs (Mn, Mc) inside the word
        ("తెలుగు", ["తెలుగు"]),  # Telugu
        ("नमस्ते दुनिया!", ["नमस्ते", "दुनिया"]),  # a virama (Mn) inside, punctuation after
        ("SK하이닉스 HBM3E", ["sk", "하이닉스", "hbm3e"]),  # Korean and English as before
    ],
)
def test_combining_marks_belong_to_their_word(text, terms):
    assert search_terms(text) == terms


def test_marks_do_not_count_as_letters_of_a_word():
    # "के" is one letter and its vowel sign: as short as "a", dropped as "a" is.
    assert search_terms("के दुनिया") == ["दुनिया"]
    assert searchable_chars("दुनिया") == 3  # द, न, य
    assert searchable_chars("के") == 0


def test_a_word_with_marks_is_one_token_of_the_document():
    assert document_vector([("दुनिया తెలుగు", "A")]) == "'दुनिया':1A 'తెలుగు':3A"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("यह दुनिया बड़ी है", "दुनिया"),
        ("తెలుగు వార్తలు", "తెలుగు"),
        ("తెలుగు వార్తలు", "తెలు"),  # a prefix, as for English
    ],
)
def test_finds_words_with_combining_marks(text, query):
    assert _matches(document_vector([(text, "A")]), query)


@pytest.mark.django_db
def test_a_word_with_marks_is_not_found_by_another_sharing_its_letters():
    # द-न-य without the vowel signs is not दुनिया: the marks are part of what is matched.
    assert not _matches(document_vector([("दनय", "A")]), "दुनिया")


def test_the_module_compiles_without_warnings() -> None:
    # An invalid escape such as "\\w" in a docstring warns today and is an error under -W error
    # (and in a later Python).
    source = Path(textsearch.__file__).read_text(encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, textsearch.__file__, "exec")
