"""A small hand-labelled set for the article analysis (L9): text, stocks named, sentiment.

Written for the tests (not real news). Shared by tests/news/test_analysis.py and
bench/news_analysis.py, which prints precision and recall.
"""

from __future__ import annotations

from news.analysis import Listing, StockMatcher, sentiment_of

LISTINGS = [
    ("005930", "삼성전자", "Samsung Electronics"),
    ("000660", "SK하이닉스", "SK hynix"),
    ("005380", "현대차", "Hyundai Motor"),
    ("000270", "기아", "Kia"),
    ("003550", "LG", "LG Corp"),
    ("373220", "LG에너지솔루션", "LG Energy Solution"),
    ("035420", "NAVER", "NAVER"),
    ("035720", "카카오", "Kakao"),
    ("030200", "KT", "KT Corp"),
    ("033780", "KT&G", "KT&G"),
    ("068270", "셀트리온", "Celltrion"),
    ("247540", "에코프로비엠", "EcoPro BM"),
    ("086520", "에코프로", "EcoPro"),
]

# (text, stock codes it names, sentiment)
LABELLED = [
    ("Samsung Electronics shares rally as chip prices rebound", {"005930"}, "positive"),
    ("SK hynix beats estimates on record HBM sales", {"000660"}, "positive"),
    ("Hyundai Motor recalls 120,000 cars; shares fall", {"005380"}, "negative"),
    ("Kia and Hyundai Motor post strong November sales", {"000270", "005380"}, "positive"),
    ("LG Energy Solution wins battery supply deal", {"373220"}, "positive"),
    ("LG Corp holds annual meeting in Seoul", {"003550"}, "neutral"),
    ("NAVER and Kakao slip on platform regulation risk", {"035420", "035720"}, "negative"),
    ("KT&G raises dividend; KT unchanged", {"033780", "030200"}, "positive"),
    ("Celltrion wins European approval for biosimilar", {"068270"}, "positive"),
    ("EcoPro BM plunges after weak demand warning", {"247540"}, "negative"),
    ("KOSPI ends flat in thin trading", set(), "neutral"),
    ("Won weakens against the dollar", set(), "neutral"),
    ("Shares of 005930 closed at 71,000 won", {"005930"}, "neutral"),
    ("삼성전자, 반도체 업황 회복 기대에 상승", {"005930"}, "positive"),
    ("카카오, 규제 우려에 약세", {"035720"}, "negative"),
    ("현대차 리콜 발표…주가 하락", {"005380"}, "negative"),
    ("기아는 신차 판매 호조로 최대 실적", {"000270"}, "positive"),
    ("LG에너지솔루션 배터리 공급 계약 체결", {"373220"}, "positive"),
    ("에코프로비엠 급락, 에코프로도 약세", {"247540", "086520"}, "negative"),
    ("셀트리온 유럽 허가 획득", {"068270"}, "positive"),
    ("SK하이닉스 HBM 매출 사상 최대", {"000660"}, "positive"),
    ("코스피 보합 마감", set(), "neutral"),
    ("올기아 캠핑장 개장", set(), "neutral"),
    ("NAVER 주주총회 개최", {"035420"}, "neutral"),
]


def matcher() -> StockMatcher:
    return StockMatcher(Listing(*row) for row in LISTINGS)


def linking_counts() -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of stock linking over LABELLED."""
    stocks = matcher()
    true_pos = false_pos = false_neg = 0
    for text, expected, _ in LABELLED:
        found = stocks.codes_in(text)
        true_pos += len(found & expected)
        false_pos += len(found - expected)
        false_neg += len(expected - found)
    return true_pos, false_pos, false_neg


def sentiment_accuracy() -> float:
    right = sum(sentiment_of(text).label == label for text, _, label in LABELLED)
    return right / len(LABELLED)
