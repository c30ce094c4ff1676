"""News search and the cached news list, on 50,000 seeded articles, measured in one run.

Seeds synthetic Korean and English articles naming listed stocks under a feed source of its own
(so it never touches other articles), then measures side by side:

- search: `article_search(q=...)` (our tsquery on the GIN index `article_search_idx`: Korean as
  character bigrams, English as word prefixes; ranked) against the baseline a plain Django app
  would write, `title ILIKE '%q%' OR summary ILIKE '%q%'` (`icontains`), over the same rows, each
  as the count plus the first page of 20, alternating;
- `news_page` (count, page, linked stocks, source) with the cache toolkit off and on (warm hits),
  in one process, alternating;
- the same list through the API: two uvicorn processes side by side, `CACHE_ENABLED=1` and `=0`,
  loaded by bench.loadgen, as bench/stock_api.py does.

Then deletes what it seeded (and drops the cache entries that saw it). The Django work runs in
child processes, one per step:

    python -m bench.news_search seed|measure|clean     # each prints one JSON line
"""

from __future__ import annotations

import csv
import itertools
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python bench/news_search.py`
    sys.path.insert(0, str(ROOT))

from bench.stats import timed, timing_summary  # noqa: E402

LISTINGS_CSV = ROOT / "stocks" / "data" / "krx_listings.csv"

ARTICLES = 50_000
KOREAN_SHARE = 0.6
BATCH_SIZE = 2_000
PAGE_SIZE = 20
SEED = 20_241_121
SOURCE_NAME = "bench: news search"
SOURCE_URL = "https://news-search.bench.invalid/feed.xml"
ARTICLE_URL = "https://news-search.bench.invalid/articles/{}"

# Runs per query and side (after 2 untimed): as many as fit in SEARCH_SECONDS, within these.
SEARCH_REPEATS = (5, 30)
SEARCH_SECONDS = 6.0
PAGE_REPEATS = {"": 200, "반도체": 60}  # news_page(q=...) calls per cache mode
API_ENDPOINTS = {"/api/v1/news/": 150, "/api/v1/news/?q=반도체": 60}  # requests per round
API_ROUNDS = 2
API_CONCURRENCY = 4
STARTUP_SECONDS = 30

# Big caps first (news names them most), then the rest of the listing; Zipf(1) over this order.
FAMOUS = ("005930", "000660", "005380", "373220", "035420", "035720", "000270", "051910",
          "006400", "068270", "105560", "207940", "012450", "055550", "005490")  # fmt: skip
RARE_RANK = 100  # the "rare company" query: the company at this place in that order


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Finance keywords (the words searched for), in falling frequency: each article draws about six
# of them (Zipf 0.5), so the most common is in about a third of its language's articles.
KO_KEYWORDS = _words(
    "실적 주가 반도체 영업이익 매출 투자자 외국인 전망 시장 수출 증권가 목표주가 코스피 상승 하락 "
    "기관 순매수 금리 환율 배당 메모리 인공지능 2차전지 전기차 배터리 데이터센터 파운드리 HBM "
    "수주 조선 방산 원전 바이오 신약 임상 자사주 공매도 코스닥 호실적 실적발표 어닝서프라이즈 "
    "컨센서스 상향 하향 급등 급락 강세 약세 회복 부진 점유율 인수 합병 상장 공모 유가 물가 경기 "
    "반도체주 업황 재고 공급 수요 신고가 저점 증설 규제 관세 메모리반도체 수출액 순이익"
)
# The rest of a sentence: everyday news words, Zipf 1.
KO_GENERIC = _words(
    "회사 관계자 올해 지난해 대비 이번 최근 정부 발표 계획 사업 글로벌 국내 해외 업계 기업 제품 "
    "고객 서비스 기술 개발 확대 추진 강화 예정 규모 계약 체결 협력 진출 운영 설명 증가 감소 지속 "
    "기대 우려 영향 부문 대표 회장 사장 이사회 주주 주식 거래 거래일 오전 오후 종가 장중 포인트 "
    "억원 조원 달러 수준 이상 이하 전년 동기 연속 처음 가장 크게 다소 소폭 대폭 함께 위해 따라 "
    "관련 중심 주요 신규 추가 공개 진행 검토 결정 승인 출시 판매 생산량 공장 설비 인력 채용 비용 "
    "효율 수익성 경쟁력 전략 목표 성장 변화 환경 상황 분위기 흐름 방향 속도 기간 하반기 상반기 "
    "연말 내년 다음달 이달 지난달 일부 전체 대부분 미국 중국 일본 유럽 가격 생산 투자 정책"
)
KO_ENDINGS = ("밝혔다", "전망이다", "분석했다", "나타났다", "기록했다", "예상된다", "발표했다")
EN_KEYWORDS = _words(
    "earnings shares semiconductor profit revenue investors outlook market exports analysts "
    "target KOSPI gains losses foreign institutions rates dividend memory chip chips chipmaker "
    "AI battery batteries EV datacenter foundry HBM orders shipbuilding defense nuclear biotech "
    "drug trial buyback short-selling KOSDAQ record consensus upgrade downgrade surge slump rally "
    "recovery demand supply capacity regulation tariffs corporate bonds rate moderate accelerated "
    "semiconductors guidance operating inventory acquisition merger listing IPO"
)
EN_GENERIC = _words(
    "the of in on as after for and with to a its amid said company officials year last compared "
    "this recently government announced plans business global domestic overseas industry firms "
    "products customers services technology development expand push strengthen expected scale "
    "contract signed partnership entry operations increase decrease continued hopes concerns "
    "impact division chief executive chairman board shareholders stock trading session morning "
    "afternoon close intraday points billion trillion dollars level above below about previous "
    "period straight first largest sharply slightly modestly together according related major "
    "new additional released progress review decision approval launch sales output plant "
    "facilities workforce hiring costs efficiency profitability competitiveness strategy growth "
    "change conditions sentiment trend direction pace term second-half year-end next month week "
    "some overall most while despite since before which would could will also more than prices "
    "production investment policy quarter won"
)

# (what it is, the query). Counts are compared with ILIKE's: for Korean they should be equal (a
# run's overlapping bigrams as a phrase match exactly where the run occurs inside a longer run, as
# a substring match does); English words match as prefixes of words, ILIKE anywhere inside one
# ("rate" is in "corporate"), so there ILIKE finds as many or more.
QUERIES = (
    ("Korean two-syllable word", "실적"),
    ("Korean company name, frequent", "삼성전자"),
    ("Korean company name, rare", None),  # filled in from the listing: see RARE_RANK
    ("English word", "semiconductor"),
    ("English word, also inside other words", "rate"),
    ("two Korean words", "반도체 수출"),
)


# --- data ---------------------------------------------------------------------------------------


def _listings() -> list[dict[str, str]]:
    """The listed stocks, most-mentioned first (FAMOUS, then the CSV's order shuffled)."""
    with LISTINGS_CSV.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    by_code = {row["code"]: row for row in rows}
    rest = [row for row in rows if row["code"] not in FAMOUS]
    random.Random(SEED).shuffle(rest)
    return [by_code[code] for code in FAMOUS if code in by_code] + rest


def _queries() -> list[tuple[str, str]]:
    rare = next(
        row["name_ko"]
        for row in _listings()[RARE_RANK:]
        if re.fullmatch(r"[가-힣]{3,}", row["name_ko"])
    )
    return [(label, q or rare) for label, q in QUERIES]


def _zipf_weights(count: int, s: float) -> list[float]:
    return [1 / rank**s for rank in range(1, count + 1)]


def _with_particle(word: str, rng: random.Random) -> str:
    """A Korean word as it appears in a sentence: often with a particle attached (삼성전자가)."""
    if rng.random() < 0.5:
        return word
    last = word[-1]
    final_consonant = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return word + rng.choice(("이", "은", "을", "의", "에") if final_consonant else
                             ("가", "는", "를", "의", "에"))  # fmt: skip


class _Vocabulary:
    """Keywords (Zipf 0.5) and generic words (Zipf 1) of one language, drawn quickly."""

    def __init__(self, rng: random.Random, keywords: tuple[str, ...], generic: tuple[str, ...]):
        self.rng = rng
        self.keywords, self.generic = keywords, generic
        self.keyword_cum = list(itertools.accumulate(_zipf_weights(len(keywords), 0.5)))
        self.generic_cum = list(itertools.accumulate(_zipf_weights(len(generic), 1.0)))

    def words(self, keywords: int, generic: int) -> list[str]:
        rng = self.rng
        words = rng.choices(self.keywords, cum_weights=self.keyword_cum, k=keywords)
        words += rng.choices(self.generic, cum_weights=self.generic_cum, k=generic)
        rng.shuffle(words)
        return words


class _Writer:
    """Titles and summaries from the word lists, naming Zipf-distributed listed companies."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies = _listings()
        self.company_cum = list(itertools.accumulate(_zipf_weights(len(self.companies), 1.0)))
        self.ko = _Vocabulary(rng, KO_KEYWORDS, KO_GENERIC)
        self.en = _Vocabulary(rng, EN_KEYWORDS, EN_GENERIC)

    def company(self) -> dict[str, str]:
        return self.rng.choices(self.companies, cum_weights=self.company_cum)[0]

    def korean(self, company: dict[str, str], other: dict[str, str] | None) -> tuple[str, str]:
        rng = self.rng
        words = self.ko.words(2, rng.randint(2, 4))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), f"{rng.randint(1, 4)}분기")
        title = f"{company['name_ko']}, " + " ".join(_with_particle(w, rng) for w in words)
        sentences = []
        for number in range(rng.randint(2, 3)):
            words = self.ko.words(rng.randint(1, 2), rng.randint(5, 8))
            if number == 0:
                words.insert(0, company["name_ko"])
            if other is not None and number == 1:
                words.insert(rng.randrange(len(words)), other["name_ko"])
            if rng.random() < 0.3:
                words.insert(rng.randrange(len(words)), f"{rng.randint(1, 60)}%")
            words = [_with_particle(word, rng) for word in words]
            sentences.append(" ".join(words) + " " + rng.choice(KO_ENDINGS) + ".")
        return title, " ".join(sentences)

    def english(self, company: dict[str, str], other: dict[str, str] | None) -> tuple[str, str]:
        rng = self.rng
        title = f"{company['name_en']} " + " ".join(self.en.words(2, rng.randint(3, 5)))
        sentences = []
        for number in range(rng.randint(2, 3)):
            words = self.en.words(rng.randint(1, 2), rng.randint(8, 12))
            if number == 0:
                words.insert(0, company["name_en"])
            if other is not None and number == 1:
                words.insert(rng.randrange(len(words)), other["name_en"])
            sentence = " ".join(words)
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        return title, " ".join(sentences)


def _delete_seeded() -> int:
    """Delete the bench's source and its articles; returns how many articles went.

    Raw SQL: `QuerySet.delete()` would load every row to send its post_delete signal (the cache
    toolkit tracks Article). The cache entries that saw them are dropped afterwards.
    """
    from django.db import connection, transaction

    from news.models import Article, FeedSource

    source = FeedSource.objects.filter(url=SOURCE_URL).first()
    if source is None:
        return 0
    quote = connection.ops.quote_name
    articles = quote(Article._meta.db_table)
    links = quote(Article.stocks.through._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {links} WHERE article_id IN "  # noqa: S608 - table names only
            f"(SELECT id FROM {articles} WHERE source_id = %s)",
            [source.pk],
        )
        cursor.execute(f"DELETE FROM {articles} WHERE source_id = %s", [source.pk])  # noqa: S608
        deleted = cursor.rowcount
        source.delete()
        Article.objects.invalidate_all()
    return deleted


def _written_batch(start: int) -> list[tuple]:
    """Articles ``start``… of one batch, with their search documents: (number, is Korean, title,
    summary, seconds before now, sentiment score, tsvector literal, codes named). Pure Python, no
    database, seeded per batch: run in a worker process while the previous batch is inserted."""
    from news.models import Article

    rng = random.Random(SEED * 1000 + start // BATCH_SIZE)
    writer = _Writer(rng)
    rows = []
    for number in range(start, min(start + BATCH_SIZE, ARTICLES)):
        company = writer.company()
        other = writer.company() if rng.random() < 0.3 else None
        is_korean = rng.random() < KOREAN_SHARE
        title, summary = (writer.korean if is_korean else writer.english)(company, other)
        document = Article(title=title, summary=summary).search_document_of_text()
        codes = sorted({c["code"] for c in (company, other) if c is not None})
        age = rng.randrange(60 * 24 * 3600)
        rows.append((number, is_korean, title, summary, age, rng.uniform(-1, 1), document, codes))
    return rows


def seed() -> dict[str, Any]:
    from django.db import connection, connections, transaction
    from django.utils import timezone

    from news.models import Article, FeedSource, Language, Sentiment
    from stocks.models import Stock

    began = time.perf_counter()
    leftover = _delete_seeded()  # from a run that did not get to clean up
    stock_ids = dict(Stock.objects.values_list("code", "id"))
    now = timezone.now()
    source = FeedSource.objects.create(
        name=SOURCE_NAME, url=SOURCE_URL, language=Language.KOREAN, is_enabled=False
    )
    link_through = Article.stocks.through
    korean = links = 0
    connections.close_all()  # the forked workers must not share this process's connection
    workers = max(1, min(3, (os.cpu_count() or 2) - 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for rows in pool.map(_written_batch, range(0, ARTICLES, BATCH_SIZE)):
            articles = []
            for number, is_korean, title, summary, age, score, document, _ in rows:
                korean += is_korean
                article = Article(
                    source=source,
                    url=ARTICLE_URL.format(number),
                    title=title,
                    summary=summary,
                    published_at=now - timedelta(seconds=age),
                    language=Language.KOREAN if is_korean else Language.ENGLISH,
                    sentiment=Sentiment.POSITIVE if score > 0.3 else
                    Sentiment.NEGATIVE if score < -0.3 else Sentiment.NEUTRAL,
                    sentiment_score=score,
                    analysed_at=now,
                )  # fmt: skip
                article.search_document = document
                articles.append(article)
            with transaction.atomic():
                created = Article.objects.bulk_create(articles)
                stocks = [link_through(article_id=article.pk, stock_id=stock_ids[code])
                          for article, row in zip(created, rows, strict=True)
                          for code in row[-1] if code in stock_ids]  # fmt: skip
                links += len(link_through.objects.bulk_create(stocks))
    inserted = time.perf_counter() - began
    with connection.cursor() as cursor:
        # As a live table would be: the GIN pending list merged, visibility map and statistics
        # current (VACUUM runs outside a transaction; Django's autocommit is that).
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Article._meta.db_table)}")
    return {
        "articles": ARTICLES,
        "korean": korean,
        "links": links,
        "stocks_in_db": len(stock_ids),
        "all_articles": Article.objects.count(),
        "leftover_deleted": leftover,
        "insert_seconds": inserted,
        "seconds": time.perf_counter() - began,
    }


def clean() -> dict[str, Any]:
    began = time.perf_counter()
    deleted = _delete_seeded()
    return {"deleted": deleted, "seconds": time.perf_counter() - began}


# --- in-process measurements --------------------------------------------------------------------


def _ilike_queryset(q: str):  # noqa: ANN202
    """The baseline: every whitespace-separated word in the title or the summary, anywhere
    (`icontains` is ILIKE '%word%'); newest first, since ILIKE cannot rank. For one word this is
    exactly `title ILIKE '%q%' OR summary ILIKE '%q%'`."""
    from django.db.models import Q

    from news.models import Article

    condition = Q()
    for word in q.split():
        condition &= Q(title__icontains=word) | Q(summary__icontains=word)
    return Article.objects.filter(condition).order_by("-published_at", "-id")


def _ilike_only_words(q: str) -> list[str]:
    """Where ILIKE finds more: the words around its extra matches (at most 500 looked at)."""
    from core.textsearch import TsQuery, search_query
    from news.models import Article

    extra = (
        _ilike_queryset(q)
        .exclude(pk__in=Article.objects.filter(search_document=TsQuery(search_query(q))))
        .values_list("title", "summary")[:500]
    )
    words: Counter[str] = Counter()
    for word in q.split():
        pattern = re.compile(rf"\w*{re.escape(word)}\w*", re.IGNORECASE)
        for title, summary in extra:
            words.update(
                found.lower() for found in pattern.findall(f"{title} {summary}")
                if not found.lower().startswith(word.lower())
            )  # fmt: skip
    return [word for word, _ in words.most_common(3)]


def _search() -> list[dict[str, Any]]:
    from news.selectors import article_search

    def ours(q: str) -> Callable[[], tuple[int, list[int]]]:
        def run() -> tuple[int, list[int]]:
            articles = article_search(q=q)
            return articles.count(), [a.pk for a in articles[:PAGE_SIZE]]

        return run

    def ilike(q: str) -> Callable[[], tuple[int, list[int]]]:
        def run() -> tuple[int, list[int]]:
            articles = _ilike_queryset(q)
            return articles.count(), [a.pk for a in articles[:PAGE_SIZE]]

        return run

    results = []
    for label, q in _queries():
        sides = {"gin": ours(q), "ilike": ilike(q)}
        counts, took = {}, 0.0
        for side, function in sides.items():  # untimed: warms the buffers, plans and the pool
            counts[side] = function()[0]
            took += timed(function)[0] / 1000
        repeats = max(SEARCH_REPEATS[0], min(SEARCH_REPEATS[1], int(SEARCH_SECONDS / took)))
        samples: dict[str, list[float]] = {side: [] for side in sides}
        for repeat in range(repeats):
            # Alternating which goes first, so that drift of the machine hits both sides alike.
            for side in sides if repeat % 2 == 0 else list(sides)[::-1]:
                samples[side].append(timed(sides[side])[0])
        plan = article_search(q=q)[:PAGE_SIZE].explain()
        results.append({
            "label": label,
            "q": q,
            "count_gin": counts["gin"],
            "count_ilike": counts["ilike"],
            "gin": timing_summary(samples["gin"]),
            "ilike": timing_summary(samples["ilike"]),
            "plan": "GIN index" if "article_search_idx" in plan else
                    "seq scan" if "Seq Scan" in plan else "other",
            "repeats": repeats,
            "ilike_only": _ilike_only_words(q) if counts["gin"] != counts["ilike"] else [],
        })  # fmt: skip
        gin, base = results[-1]["gin"], results[-1]["ilike"]
        print(
            f"  search {q!r}: GIN {gin['median_ms']:.1f} ms ({counts['gin']}), "
            f"ILIKE {base['median_ms']:.1f} ms ({counts['ilike']})",
            file=sys.stderr,
            flush=True,
        )
    return results


def _pages() -> list[dict[str, Any]]:
    from django.test import override_settings

    from news.selectors import news_page

    results = []
    for q, repeats in PAGE_REPEATS.items():
        kwargs = {"page": 1, "page_size": PAGE_SIZE, "q": q or None}
        with override_settings(CACHEKIT_ENABLED=True):
            filled = news_page(**kwargs)  # fills the entry: every timed cached call is a hit
        samples: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(repeats + 2):
            for enabled in (False, True) if repeat % 2 == 0 else (True, False):
                with override_settings(CACHEKIT_ENABLED=enabled):
                    elapsed, page = timed(lambda: news_page(**kwargs))  # noqa: B023
                if page["count"] != filled["count"] or len(page["results"]) != PAGE_SIZE:
                    raise RuntimeError(f"news_page(q={q!r}) changed during the run")
                if repeat >= 2:  # the first two are untimed
                    samples[enabled].append(elapsed)
        results.append({
            "q": q,
            "count": filled["count"],
            "uncached": timing_summary(samples[False]),
            "cached": timing_summary(samples[True]),
        })  # fmt: skip
        print(
            f"  news_page(q={q!r}): off {results[-1]['uncached']['median_ms']:.2f} ms, "
            f"on {results[-1]['cached']['median_ms']:.2f} ms",
            file=sys.stderr,
            flush=True,
        )
    return results


def measure() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    return {"postgres": version, "search": _search(), "pages": _pages()}


# --- the API through two servers (in run()'s process) -------------------------------------------


def _api_url(base: str, path: str) -> str:
    return base + urllib.parse.quote(path, safe="/?=&")


def _api_count(server: Any, path: str) -> int:
    url = _api_url(server.base, path)
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.loads(response.read())
    if len(body.get("results", [])) != PAGE_SIZE:
        raise RuntimeError(f"{server.mode} server, GET {url}: not a full page\n{body!r:.500}")
    return body["count"]


def _api(env: dict[str, str]) -> dict[str, Any]:
    from bench.loadgen import hammer
    from bench.servers import UvicornServer

    envs = {"uncached": {**env, "CACHE_ENABLED": "0"}, "cached": {**env, "CACHE_ENABLED": "1"}}
    servers = {}
    latencies: dict[tuple[str, str], list[float]] = {}
    rates: dict[tuple[str, str], list[float]] = {}
    errors: Counter[tuple[str, str]] = Counter()
    counts = {}
    try:
        for mode, mode_env in envs.items():
            servers[mode] = UvicornServer(mode, mode_env)
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in servers.values():
            server.wait_ready(deadline)
        for path in API_ENDPOINTS:
            counts[path] = {mode: _api_count(server, path) for mode, server in servers.items()}
            for server in servers.values():  # warm-up: connections, buffers, cache entry
                hammer(_api_url(server.base, path), total=20, concurrency=API_CONCURRENCY)
        for round_number in range(API_ROUNDS):
            order = list(servers) if round_number % 2 == 0 else list(servers)[::-1]
            for path, total in API_ENDPOINTS.items():
                for mode in order:
                    url = _api_url(servers[mode].base, path)
                    result = hammer(url, total=total, concurrency=API_CONCURRENCY)
                    latencies.setdefault((mode, path), []).extend(result.latencies_ms)
                    rates.setdefault((mode, path), []).append(result.requests_per_second)
                    errors[(mode, path)] += result.errors
                    print(
                        f"  API {mode:8} {path:26} {result.requests_per_second:6.0f} req/s "
                        f"p50 {result.median_ms:6.1f} ms errors {result.errors}",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
    return {
        path: {
            "count": counts[path],
            **{
                mode: {
                    **timing_summary(latencies[(mode, path)]),
                    "req_s": statistics.mean(rates[(mode, path)]),
                    "spread": (max(rates[(mode, path)]) - min(rates[(mode, path)]))
                    / max(rates[(mode, path)]),
                    "errors": errors[(mode, path)],
                }
                for mode in envs
            },
        }
        for path in API_ENDPOINTS
    }


# --- the benchmark ------------------------------------------------------------------------------


def _step(step: str, env: dict[str, str]) -> dict[str, Any]:
    """One step in a child process with Django set up; its progress goes to our stderr."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.news_search", step],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.news_search {step} exited with {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    began = time.monotonic()
    try:
        seeded = _step("seed", env)
        print(
            f"  seeded {seeded['articles']} articles in {seeded['seconds']:.1f} s "
            f"({seeded['all_articles']} in the table)",
            flush=True,
        )
        measured = _step("measure", env)
        api = _api(env)
    finally:
        cleaned = _step("clean", env)
        print(f"  deleted {cleaned['deleted']} articles in {cleaned['seconds']:.1f} s", flush=True)
    return _report(seeded, measured, api, cleaned, time.monotonic() - began)


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def _times(value: float, better: str, worse: str) -> str:
    return f"{value:.1f}× ({better})" if value >= 1 else f"{1 / value:.1f}× ({worse})"


def _report(
    seeded: dict[str, Any],
    measured: dict[str, Any],
    api: dict[str, Any],
    cleaned: dict[str, Any],
    seconds: float,
) -> str:
    english = seeded["articles"] - seeded["korean"]
    links = (
        f"linked to {seeded['links']:,} stocks"
        if seeded["stocks_in_db"]
        else "not linked to stocks (no stocks in the database)"
    )
    lines = [
        "## News search: GIN full-text vs ILIKE, and the cached news list",
        "",
        f"{seeded['articles']:,} synthetic articles ({seeded['korean']:,} Korean, {english:,} "
        "English; titles and 2-3 sentence summaries from finance word lists, Zipf-distributed, "
        "naming stocks of `stocks/data/krx_listings.csv`, Korean words often with a particle "
        f"attached; {links}) under a source of the benchmark's own, seeded with `bulk_create` in "
        f"{seeded['seconds']:.0f} s (VACUUM ANALYZE included) and deleted afterwards in "
        f"{cleaned['seconds']:.1f} s; {seeded['all_articles']:,} articles in the table while "
        f"measuring. {measured['postgres']}, one process, same data, one run.",
        "",
        "Search: count plus first page of 20. *GIN* is `article_search(q=...)` (core.textsearch "
        "tsquery on `article_search_idx`, ranked by `ts_rank`); *ILIKE* is "
        "`title ILIKE '%word%' OR summary ILIKE '%word%'` for each word (`icontains`; newest "
        f"first, it cannot rank). {SEARCH_REPEATS[0]}-{SEARCH_REPEATS[1]} runs of each (as many "
        f"as fit in {SEARCH_SECONDS:.0f} s), alternating, after 2 untimed.",
        "",
        "| query | | matches GIN / ILIKE | runs | GIN plan | GIN median | GIN p95 | ILIKE median "
        "| ILIKE p95 | ILIKE ÷ GIN (median) |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    notes, korean_differs = [], False
    for row in measured["search"]:
        gin, base = row["gin"], row["ilike"]
        same = row["count_gin"] == row["count_ilike"]
        lines.append(
            f"| `{row['q']}` | {row['label']} | {row['count_gin']:,} / {row['count_ilike']:,}"
            f"{'' if same else ' ≠'} | {row['repeats']} | {row['plan']} | "
            f"{_ms(gin['median_ms'])} | {_ms(gin['p95_ms'])} | {_ms(base['median_ms'])} | "
            f"{_ms(base['p95_ms'])} | "
            f"{_times(base['median_ms'] / gin['median_ms'], 'GIN faster', 'GIN slower')} |"
        )
        if not same:
            korean_differs |= re.search("[가-힣]", row["q"]) is not None
            found = ", ".join(f"“{word}”" for word in row["ilike_only"]) or "—"
            notes.append(f"`{row['q']}`: ILIKE also matches inside words ({found})")
    lines += [
        "",
        ("Korean counts differ (see below). " if korean_differs else "Korean counts agree: ")
        + "a query's run is the phrase of its overlapping bigrams, found exactly where the run "
        "occurs inside a longer one, as a substring match finds it (particles attached or not). "
        "English words match as prefixes of words, ILIKE anywhere: "
        + ("; ".join(notes) if notes else "no query here tells the two apart")
        + ". GIN plan: of the page query (`EXPLAIN`)"
        + (
            "; a seq scan where a term is in so many rows that the planner reads the table "
            "rather than the index (still no ILIKE: the match is on the stored tsvector)."
            if any(row["plan"] != "GIN index" for row in measured["search"])
            else "."
        ),
        "",
        "`news_page(page=1, page_size=20, q=...)` in process (count, page, source, linked "
        "stocks), the cache toolkit off (`CACHEKIT_ENABLED=False`: computes) vs on (every timed "
        "call a warm hit), alternating:",
        "",
        "| call | matches | cache off median | off p95 | cache on median | on p95 "
        "| ratio (median) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in measured["pages"]:
        off, on = row["uncached"], row["cached"]
        call = f"q=`{row['q']}`" if row["q"] else "no filter"
        lines.append(
            f"| {call} ({off['n']}× each) | {row['count']:,} | {_ms(off['median_ms'])} | "
            f"{_ms(off['p95_ms'])} | {_ms(on['median_ms'])} | {_ms(on['p95_ms'])} | "
            f"{_times(off['median_ms'] / on['median_ms'], 'cached faster', 'cached slower')} |"
        )
    lines += [
        "",
        "The same pages through the API: two uvicorn processes side by side, `CACHE_ENABLED=0` "
        f"and `=1`, {API_CONCURRENCY} concurrent keep-alive clients (bench.loadgen), "
        f"{API_ROUNDS} rounds alternating between the servers after a warm-up; latencies "
        "pooled, requests/s the mean of the rounds.",
        "",
        "| endpoint | requests | uncached p50 | p95 | req/s | cached p50 | p95 | req/s "
        "| cached ÷ uncached req/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path, row in api.items():
        off, on = row["uncached"], row["cached"]
        lines.append(
            f"| `{path}` | {API_ENDPOINTS[path] * API_ROUNDS}× each | {_ms(off['median_ms'])} | "
            f"{_ms(off['p95_ms'])} | {off['req_s']:.0f} | {_ms(on['median_ms'])} | "
            f"{_ms(on['p95_ms'])} | {on['req_s']:.0f} | {on['req_s'] / off['req_s']:.1f}× |"
        )
    spreads = ", ".join(
        f"`{path}` ±{max(row['uncached']['spread'], row['cached']['spread']):.0%}"
        for path, row in api.items()
    )
    lines += [
        "",
        f"Requests/s spread between rounds: {spreads}. A warm hit of `news_page` costs under a "
        "millisecond in process; through the API the rest of each request stays (DRF serialises "
        "the cached 20 articles again, the rate limiter's Redis round trip, middleware, the ASGI "
        "thread hop), so the API gains less than the call alone.",
    ]
    problems = [
        f"`{path}`: {row[mode]['errors']} errors ({mode})"
        for path, row in api.items()
        for mode in ("uncached", "cached")
        if row[mode]["errors"]
    ] + [
        f"`{path}`: the servers answered {row['count']['uncached']} and {row['count']['cached']}"
        for path, row in api.items()
        if row["count"]["uncached"] != row["count"]["cached"]
    ]
    lines += [
        "",
        ("Problems: " + "; ".join(problems) + "." if problems else "No errors; both servers "
         "answered the same counts.")
        + f" Whole benchmark, seeding, server start-up and clean-up included: {seconds:.0f} s.",
    ]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    import django

    django.setup()
    steps = {"seed": seed, "measure": measure, "clean": clean}
    print(json.dumps(steps[sys.argv[1]](), default=str))
