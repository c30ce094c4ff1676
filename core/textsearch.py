"""Full-text search that finds Korean words as well as English ones, on any PostgreSQL.

PostgreSQL's parsers split text at spaces and punctuation. Korean attaches particles to words
("삼성전자가") and writes compounds without spaces ("메모리반도체"), so a whole-token index finds
neither "삼성전자" nor "반도체" there, and the embedded PostgreSQL has no extension (pg_trgm,
a Korean dictionary) to help. So documents are tokenised here, in Python, the way Lucene's CJK
analyser does it:

- a run of Korean (or Chinese) characters becomes its overlapping two-character pieces at
  consecutive positions ("반도체" -> 반도 1, 도체 2); a query's run becomes the phrase of its
  pieces (`'반도' <-> '도체'`), which matches exactly where the run occurs inside a longer run;
- any other run of letters or digits is one lower-cased token, matched as a prefix
  ("semi" finds "semiconductor"). Combining marks (Unicode categories Mn, Mc, Me: the vowel
  signs of Hindi "दुनिया" or Telugu "తెలుగు") belong to the word they follow; they are not
  letters to Python's ``\\w``, so without this those words fell apart into one-letter pieces.

Both sides are written as tsvector / tsquery *literals* (cast, not parsed), so the database stores
and compares exactly the tokens made here whatever its locale or parser. A `SearchVectorField`
holding `document_vector(...)` with a GIN index, queried with `TsQuery(search_query(...))`, is a
ranked, indexed search; `SearchRank` works on it as usual.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery

# Hangul jamo, compatibility jamo, syllables; CJK ideographs (Hanja appears in Korean news).
_CJK = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def _mark_ranges() -> str:
    """Every combining mark (category M) as regex ranges. Marks live in planes 0, 1 and 14."""
    ranges: list[tuple[int, int]] = []
    for code in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges)


_MARKS = _mark_ranges()
_MARK = re.compile(f"[{_MARKS}]")
# The same class for PostgreSQL's `~`: finds the rows indexed before marks joined their words.
MARK_PATTERN = f"[{_MARKS}]"
# A word starts with a letter or digit; marks may follow any of its letters.
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:[{_MARKS}]+[^\W_{_CJK}]*)*")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
# PostgreSQL's limits: positions 1..16383, at most 256 positions per lexeme, 2 KB per lexeme.
_MAX_POSITION = 16383
_MAX_POSITIONS_PER_LEXEME = 256
_MAX_TOKEN_CHARS = 100
# A query of more terms than this is cut: each term is an index probe.
MAX_QUERY_TERMS = 12
# A one-letter word or digit would be a prefix of most of the index: such terms are dropped.
MIN_WORD_CHARS = 2
# Text indexed per field (PostgreSQL refuses a tsvector over 1 MB).
MAX_FIELD_CHARS = 50_000
WEIGHTS = ("A", "B", "C", "D")


def _runs(text: str) -> list[str]:
    return _RUN.findall(unicodedata.normalize("NFKC", text).casefold())


def _letters(term: str) -> int:
    """The letters and digits of ``term``: its marks do not count."""
    return len(term) - len(_MARK.findall(term))


def _is_cjk(run: str) -> bool:
    return _CJK_RUN.fullmatch(run) is not None


def _pieces(run: str) -> list[str]:
    """A CJK run's two-character pieces (the run itself if it is one character)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document_vector(fields: Iterable[tuple[str, str]]) -> str:
    """A tsvector literal of ``(text, weight)`` fields, weight "A" (highest) to "D".

    Runs, and so fields, are a position apart: no phrase matches across two of them.
    """
    positions: dict[str, list[str]] = {}
    position = 0
    for text, weight in fields:
        if weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {WEIGHTS}")
        for run in _runs((text or "")[:MAX_FIELD_CHARS]):
            for token in _pieces(run) if _is_cjk(run) else [run[:_MAX_TOKEN_CHARS]]:
                position = min(position + 1, _MAX_POSITION)
                entries = positions.setdefault(token, [])
                if len(entries) < _MAX_POSITIONS_PER_LEXEME:
                    entries.append(f"{position}{weight}")
            # A gap after each run: the pairs of "삼성 성전 전자" must not read as 삼성전자.
            position = min(position + 1, _MAX_POSITION)
    return " ".join(f"{_quote(token)}:{','.join(spots)}" for token, spots in positions.items())


def search_terms(text: str) -> list[str]:
    """The query's terms as the index sees them: CJK runs and lower-cased words of at least
    MIN_WORD_CHARS letters or digits (marks aside), in order."""
    terms = [run if _is_cjk(run) else run[:_MAX_TOKEN_CHARS] for run in _runs(text or "")]
    return [t for t in terms if _is_cjk(t) or _letters(t) >= MIN_WORD_CHARS][:MAX_QUERY_TERMS]


def searchable_chars(text: str) -> int:
    """How many letters and digits of ``text`` a search would use (for minimum-length checks)."""
    return sum(_letters(term) for term in search_terms(text))


def search_query(text: str, *, weights: str = "") -> str | None:
    """A tsquery literal that matches documents containing every term of ``text``; None if
    ``text`` has no letters or digits. ``weights`` ("A", "AB", ...) restricts the match to the
    fields of those weights, e.g. "A" for titles only."""
    if any(weight not in WEIGHTS for weight in weights):
        raise ValueError(f"weights are letters of {WEIGHTS}")
    clauses = []
    for term in search_terms(text):
        if _is_cjk(term) and len(term) > 1:
            pieces = (f"{_quote(piece)}:{weights}" if weights else _quote(piece)
                      for piece in _pieces(term))  # fmt: skip
            clauses.append("(" + " <-> ".join(pieces) + ")")
        else:
            # A lone syllable finds the pieces it starts; a word finds the words it starts.
            clauses.append(f"{_quote(term)}:*{weights}")
    return " & ".join(clauses) or None


class TsQuery(SearchQuery):
    """A tsquery literal from `search_query`, cast as it is (no parser, no dictionary)."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, literal: str) -> None:
        super().__init__(literal)
