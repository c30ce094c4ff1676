"""Local analysis of articles (L9): which stocks an article names, and its sentiment.

No network service and no model download: a dictionary matcher over the listed stocks' codes and
Korean and English names, and a finance lexicon for Korean and English. Quality is measured on a
labelled set kept in the tests (tests/news/labelled.py); `make bench` prints precision and recall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_HANGUL = "\uac00-\ud7a3"


@dataclass(frozen=True)
class Listing:
    code: str
    name_ko: str
    name_en: str


class StockMatcher:
    """Finds listed stocks in text: leftmost-longest, so `LG에너지솔루션` is not also `LG`.

    Codes must stand alone (no digit either side). Short names are the false-hit risk: a Korean
    name of two syllables or less must start a word (`기아` in `기아차는`, not in `올기아`), and an
    English name of four letters or less must match in its own case as a whole word (`KT`, not
    `kt` in a URL or `KT` inside `KT&G`).
    """

    def __init__(self, listings: Iterable[Listing]) -> None:
        self._code_by_term: dict[str, str] = {}
        patterns: list[tuple[int, str]] = []
        for listing in listings:
            for term, pattern in self._patterns(listing):
                key = term.casefold() if len(term) > 4 else term
                if key in self._code_by_term:
                    continue
                self._code_by_term[key] = listing.code
                patterns.append((len(term), pattern))
        patterns.sort(key=lambda item: -item[0])  # longer alternatives win at a position
        self._regex = (
            re.compile("|".join(p for _, p in patterns)) if patterns else re.compile(r"(?!x)x")
        )

    @staticmethod
    def _patterns(listing: Listing) -> list[tuple[str, str]]:
        found = [(listing.code, rf"(?<!\d){listing.code}(?!\d)")]
        korean = listing.name_ko.strip()
        if korean:
            prefix = rf"(?<![{_HANGUL}A-Za-z0-9])" if len(korean) <= 2 else ""
            found.append((korean, prefix + re.escape(korean)))
        english = listing.name_en.strip()
        if english:
            if len(english) <= 4:
                found.append((english, rf"(?<![\w&]){re.escape(english)}(?![\w&])"))
            else:
                found.append((english, rf"(?i:\b{re.escape(english)}\b)"))
        return found

    def codes_in(self, text: str) -> set[str]:
        codes = set()
        for match in self._regex.finditer(text):
            term = match.group(0)
            code = self._code_by_term.get(term) or self._code_by_term.get(term.casefold())
            if code:
                codes.add(code)
        return codes


# Finance lexicon. Korean terms match as substrings (words carry particles); English terms as
# word prefixes (rise, rises, rising).
_POSITIVE_KO = ("상승", "급등", "강세", "호조", "호재", "최대", "최고", "개선", "회복", "수주",
                "흑자", "허가", "승인", "계약", "반등", "웃도", "신고가", "기대")  # fmt: skip
_NEGATIVE_KO = ("하락", "급락", "약세", "부진", "악재", "적자", "리콜", "우려", "과징금", "둔화",
                "감소", "손실", "경고", "하회", "소송", "규제", "결함", "폭락")  # fmt: skip
_POSITIVE_EN = ("rise", "rose", "rally", "rallies", "gain", "beat", "record", "approv", "win",
                "won", "surge", "jump", "climb", "boost", "strong", "upgrade", "rebound", "soar",
                "profit", "high")  # fmt: skip
_NEGATIVE_EN = ("fall", "fell", "slip", "drop", "plunge", "recall", "loss", "warn", "fine",
                "weak", "downgrade", "cut", "slump", "lawsuit", "miss", "decline", "risk",
                "hurt", "low", "slow")  # fmt: skip
_EN_POSITIVE = re.compile(r"\b(?:" + "|".join(_POSITIVE_EN) + r")", re.IGNORECASE)
_EN_NEGATIVE = re.compile(r"\b(?:" + "|".join(_NEGATIVE_EN) + r")", re.IGNORECASE)
NEUTRAL_BAND = 0.2


@dataclass(frozen=True)
class SentimentResult:
    label: str  # "positive", "neutral", "negative"
    score: float  # -1 (negative) to 1 (positive)


def sentiment_of(text: str) -> SentimentResult:
    positive = sum(text.count(term) for term in _POSITIVE_KO) + len(_EN_POSITIVE.findall(text))
    negative = sum(text.count(term) for term in _NEGATIVE_KO) + len(_EN_NEGATIVE.findall(text))
    score = (positive - negative) / (positive + negative + 1)
    if score > NEUTRAL_BAND:
        return SentimentResult("positive", round(score, 3))
    if score < -NEUTRAL_BAND:
        return SentimentResult("negative", round(score, 3))
    return SentimentResult("neutral", round(score, 3))
