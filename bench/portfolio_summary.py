"""Portfolio summary at 5,000 and 20,000 transactions: cached vs uncached, constant queries, and
the recomputation a naive tracker does on every request, measured in one run.

Seeds a user of its own with two portfolios of 50 holdings (listed stocks of
`stocks/data/krx_listings.csv`; those missing from the database are created, and deleted again),
each loaded through `services.transactions_import` (timed): about three years of buys, partial
sales that never oversell, dividends and a few account fees. Then, side by side:

- `portfolio_summary(user_id, portfolio_id)` with the cache toolkit off (`CACHEKIT_ENABLED=False`:
  computes every time) and on (warm hits; and cold: the user's entries just dropped), with the SQL
  queries of each (`CaptureQueriesContext`);
- the baseline a tracker without stored holdings runs on every request: each stock's transactions
  read from PostgreSQL and replayed with `portfolio.ledger.replay`, then priced;
- the write path: `transaction_record` of a buy dated today (applied to the stored holding) and of
  a back-dated buy (replays that one stock), each deleted again (untimed);
- `GET /api/v1/portfolios/{id}/summary/` through two uvicorn processes, `CACHE_ENABLED=0` and
  `=1`, loaded by bench.loadgen with a Bearer token issued to the user.

Then deletes everything it created. The Django work runs in child processes, one per step:

    python -m bench.portfolio_summary seed|measure|clean [STATE_JSON]   # each prints one JSON line
"""

from __future__ import annotations

import csv
import functools
import json
import math
import random
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python bench/portfolio_summary.py`
    sys.path.insert(0, str(ROOT))

from bench.stats import timed, timing_summary  # noqa: E402

LISTINGS_CSV = ROOT / "stocks" / "data" / "krx_listings.csv"

USERNAME = "bench-portfolio-summary"
SIZES = (5_000, 20_000)  # transactions per portfolio
HOLDINGS = 50
DAYS = 3 * 365  # the transactions span the DAYS days before today
FEE_ROWS = 36  # monthly account fees (no stock), part of each size
SELL_SHARE, DIVIDEND_SHARE = 0.12, 0.03  # of the stock transactions once shares are held
SEED = 20_261_122

# In-process repeats: as many as fit in the seconds given, within (least, most); 2 untimed first.
SUMMARY_REPEATS, SUMMARY_SECONDS = (30, 300), 4.0
COLD_REPEATS = 30
QUERY_TIME_REPEATS = 30  # uncached summaries timed query by query
SERIALISE_REPEATS = 50
NAIVE_REPEATS, NAIVE_SECONDS = (5, 25), 5.0
WRITE_REPEATS = 12  # per kind of write and size (each write is deleted again, untimed)

API_REQUESTS = 200  # per portfolio, server and round
API_ROUNDS = 2
API_CONCURRENCY = 4
STARTUP_SECONDS = 30
SUMMARY_PATH = "/api/v1/portfolios/{id}/summary/"


# --- data ---------------------------------------------------------------------------------------


def _listings() -> list[dict[str, str]]:
    with LISTINGS_CSV.open(encoding="utf-8") as file:
        return sorted(csv.DictReader(file), key=lambda row: row["code"])


def _won(value: float) -> Decimal:
    return Decimal(max(10, int(round(value, -1))))


def _walks(listings: list[dict[str, str]], rng: random.Random) -> dict[str, list[Decimal]]:
    """A daily price path of DAYS + 1 days per stock (a random walk from its reference price)."""
    walks = {}
    for row in listings:
        price = float(row["reference_price"] or 10_000) * rng.uniform(0.6, 1.0)
        path = []
        for _ in range(DAYS + 1):
            price *= math.exp(rng.gauss(0.0003, 0.018))
            path.append(_won(price))
        walks[row["code"]] = path
    return walks


def _rows(size: int, stocks: list[Any], walks: dict[str, list[Decimal]], start: date) -> list:
    """``size`` (line, TransactionInput) in date order: equal shares of the stocks' trades, kinds
    decided walking forward so a sale never sells more than is held."""
    from portfolio.services import TransactionInput

    rng = random.Random(SEED + size)
    trades = size - FEE_ROWS
    owners = [stocks[i % len(stocks)] for i in range(trades)]
    rng.shuffle(owners)
    events = sorted(
        [(rng.randrange(DAYS), 1, stock) for stock in owners]
        + [(min(DAYS - 1, 30 * month + 14), 0, None) for month in range(FEE_ROWS)],
        key=lambda event: (event[0], event[1]),
    )
    held: Counter[int] = Counter()
    rows = []
    for line, (offset, _, stock) in enumerate(events, start=2):  # line 1: a CSV's header
        day = start + timedelta(days=offset)
        if stock is None:
            fee = Decimal(rng.randint(1, 5) * 1000)
            rows.append((line, TransactionInput("fee", fee=fee, traded_on=day, note="계좌 수수료")))
            continue
        price = walks[stock.code][offset]
        draw = rng.random()
        if held[stock.pk] >= 2 and draw < SELL_SHARE:
            quantity = rng.randint(1, max(1, held[stock.pk] // 4))
            held[stock.pk] -= quantity
            fee = (price * quantity * Decimal("0.00195")).quantize(Decimal(1))
            data = TransactionInput("sell", stock, Decimal(quantity), price, fee, day)
        elif held[stock.pk] and draw < SELL_SHARE + DIVIDEND_SHARE:
            per_share = max(Decimal(1), (price * Decimal("0.004")).quantize(Decimal(1)))
            quantity = held[stock.pk]
            tax = (per_share * quantity * Decimal("0.154")).quantize(Decimal(1))
            data = TransactionInput("dividend", stock, Decimal(quantity), per_share, tax, day)
        else:
            quantity = max(1, int(rng.uniform(300_000, 3_000_000) / float(price)))
            held[stock.pk] += quantity
            fee = (price * quantity * Decimal("0.00015")).quantize(Decimal(1))
            data = TransactionInput("buy", stock, Decimal(quantity), price, fee, day)
        rows.append((line, data))
    return rows


def _delete_user_data(user: Any) -> dict[str, Any]:
    """Delete the user's portfolios (their transactions, holdings, gains, value points), their
    sessions and the user. Returns what went and how long the portfolios took."""
    from accounts.services import user_sessions_revoke_all
    from portfolio import services
    from portfolio.models import Portfolio, Transaction

    transactions = Transaction.objects.filter(portfolio__owner=user).count()
    began = time.perf_counter()
    for portfolio in Portfolio.objects.filter(owner=user):
        services.portfolio_delete(portfolio=portfolio)
    seconds = time.perf_counter() - began
    user_sessions_revoke_all(user=user)
    user.delete()
    return {"transactions": transactions, "seconds": seconds}


def seed() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from accounts.services import token_pair_issue
    from pipelines.services import job_run_now
    from portfolio import services
    from portfolio.models import Holding, RealisedGain
    from stocks.models import Stock

    began = time.perf_counter()
    user_model = get_user_model()
    leftover = user_model.objects.filter(username=USERNAME).first()
    if leftover is not None:  # from a run that did not get to clean up
        _delete_user_data(leftover)

    rng = random.Random(SEED)
    listings = _listings()
    walks = _walks(listings, rng)
    existing = {stock.code: stock for stock in Stock.objects.filter(
        code__in=[row["code"] for row in listings])}  # fmt: skip
    now = timezone.now()
    new = [
        Stock(code=row["code"], market=row["market"], name_ko=row["name_ko"],
              name_en=row["name_en"], sector=row["sector"],
              shares_outstanding=int(row["shares_outstanding"]),
              last_price=walks[row["code"]][-1], previous_close=walks[row["code"]][-2],
              updated_at=now)
        for row in listings if row["code"] not in existing
    ]  # fmt: skip
    created = Stock.objects.bulk_create(new)
    chosen = sorted([*existing.values(), *created], key=lambda stock: stock.code)[:HOLDINGS]
    # Stocks that were there unpriced get a price for the run, and their old values back after.
    unpriced = [stock for stock in chosen if stock.code in existing and not stock.last_price]
    restore = [[s.pk, str(s.last_price), str(s.previous_close),
                s.updated_at.isoformat() if s.updated_at else None] for s in unpriced]  # fmt: skip
    for stock in unpriced:
        stock.last_price, stock.previous_close = walks[stock.code][-1], walks[stock.code][-2]
        stock.updated_at = now
    Stock.objects.bulk_update(unpriced, ["last_price", "previous_close", "updated_at"])

    user = user_model.objects.create_user(username=USERNAME, email=f"{USERNAME}@example.invalid")
    token = token_pair_issue(user=user)

    # The first write to a portfolio queues the worker's value-history job: let it (as a request
    # would), but note the run records it makes, to delete them afterwards.
    job_runs: list[int] = []

    def queue_history_refresh() -> None:
        run = job_run_now(name="portfolio.refresh_value_history", include_dependencies=False)
        job_runs.append(run.pk)

    services._queue_history_refresh = queue_history_refresh
    # How much of an import is re-deriving the holdings (replaying each stock once).
    rederive_seconds = [0.0]
    holding_rederive = services.holding_rederive

    def timed_rederive(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return holding_rederive(**kwargs)
        finally:
            rederive_seconds[0] += time.perf_counter() - started

    services.holding_rederive = timed_rederive
    insert_seconds = [0.0]

    def insert_timer(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - Django's
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith('INSERT INTO "portfolio_transaction"'):
                insert_seconds[0] += time.perf_counter() - started

    today = timezone.localdate()
    start = today - timedelta(days=DAYS)
    portfolios = []
    for size in SIZES:
        portfolio = services.portfolio_create(owner=user, name=f"bench {size:,} transactions")
        rows = _rows(size, chosen, walks, start)
        kinds = Counter(data.kind for _, data in rows)
        began_import, rederive_seconds[0], insert_seconds[0] = time.perf_counter(), 0.0, 0.0
        with connection.execute_wrapper(insert_timer):
            services.transactions_import(portfolio=portfolio, rows=rows)
        seconds = time.perf_counter() - began_import
        holdings = Holding.objects.filter(portfolio=portfolio)
        portfolios.append({
            "size": size,
            "id": portfolio.pk,
            "import_seconds": seconds,
            "rederive_seconds": rederive_seconds[0],
            "insert_seconds": insert_seconds[0],
            "kinds": dict(kinds),
            "holdings": holdings.count(),
            "held": holdings.filter(quantity__gt=0).count(),
            "gains": RealisedGain.objects.filter(portfolio=portfolio).count(),
        })  # fmt: skip
        print(f"  imported {size:,} transactions in {seconds:.1f} s", file=sys.stderr, flush=True)
    return {
        "user_id": user.pk,
        "access_token": token.access,
        "portfolios": portfolios,
        "stock_ids": [stock.pk for stock in chosen],
        "created_stock_ids": [stock.pk for stock in created],
        "restore_prices": restore,
        "job_runs": job_runs,
        "board_size": Stock.objects.count(),
        "today": today.isoformat(),
        "start": start.isoformat(),
        "seconds": time.perf_counter() - began,
    }


def clean(state: dict[str, Any]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils.dateparse import parse_datetime

    from pipelines.models import JobRun
    from stocks.models import Stock

    began = time.perf_counter()
    user = get_user_model().objects.filter(username=USERNAME).first()
    deleted = _delete_user_data(user) if user is not None else {"transactions": 0, "seconds": 0}
    job_runs = JobRun.objects.filter(pk__in=state.get("job_runs", [])).delete()[0]
    stocks = Stock.objects.filter(pk__in=state.get("created_stock_ids", [])).delete()[0]
    restored = []
    for pk, last_price, previous_close, updated_at in state.get("restore_prices", []):
        stock = Stock.objects.get(pk=pk)
        stock.last_price, stock.previous_close = Decimal(last_price), Decimal(previous_close)
        stock.updated_at = parse_datetime(updated_at) if updated_at else None
        restored.append(stock)
    Stock.objects.bulk_update(restored, ["last_price", "previous_close", "updated_at"])
    return {
        "transactions": deleted["transactions"],
        "portfolio_delete_seconds": deleted["seconds"],
        "stocks_deleted": stocks,
        "prices_restored": len(restored),
        "job_runs_deleted": job_runs,
        "seconds": time.perf_counter() - began,
    }


# --- in-process measurements --------------------------------------------------------------------


def _repeats(took_ms: float, bounds: tuple[int, int], seconds: float) -> int:
    return max(bounds[0], min(bounds[1], int(seconds * 1000 / max(took_ms, 0.001))))


def _drop_user_entries(user_id: int) -> None:
    """Drop the user's cached portfolio reads, as the save ending every write does (no write)."""
    from cachekit.core import invalidate_tags
    from cachekit.dependencies import row_tag
    from portfolio.models import Portfolio

    invalidate_tags([row_tag(Portfolio, "owner_id", user_id)])


def _queries(function: Callable[[], Any]) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return [{"sql": query["sql"]} for query in captured.captured_queries]


def _query_times(function: Callable[[], Any], repeats: int) -> list[float]:
    """The median time of each query ``function`` makes, over ``repeats`` calls (ms)."""
    from django.db import connection

    samples: list[list[float]] = []
    for _ in range(repeats):
        times: list[float] = []

        def timer(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - Django's hook
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                times.append((time.perf_counter() - started) * 1000)  # noqa: B023 - called now

        with connection.execute_wrapper(timer):
            function()
        samples.append(times)
    return [statistics.median(run[i] for run in samples) for i in range(len(samples[0]))]


def _plan(sql: str) -> tuple[str, int]:
    """What PostgreSQL reads for ``sql`` (EXPLAIN ANALYZE): each table scan, rows read/kept;
    and the rows read in all."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - a plan is a note, not the measurement
        return f"no plan ({type(exc).__name__})", 0
    plan = json.loads(plan) if isinstance(plan, str) else plan
    scans: list[str] = []
    read = [0]

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            kept = int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
            removed = int(node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))
            read[0] += kept + removed
            index = f" using {node['Index Name']}" if "Index Name" in node else ""
            scans.append(f"{node['Node Type']}{index} on {node['Relation Name']}: "
                         f"{kept + removed:,} rows read, {kept:,} kept")  # fmt: skip
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return "; ".join(scans), read[0]


def _query_label(sql: str) -> str:
    if '"stocks_stock"' in sql.split("FROM", 1)[-1][:40]:
        return "quote board (every stock)"
    if '"portfolio_holding"' in sql:
        return "holdings"
    if "SUM(" in sql and '"portfolio_transaction"' in sql:
        return "fees (SUM over the portfolio's fee transactions)"
    return sql[:60]


def _summaries(state: dict[str, Any]) -> list[dict[str, Any]]:
    from django.test import override_settings

    from portfolio.api.serializers import SummarySerializer
    from portfolio.selectors import portfolio_summary

    user_id = state["user_id"]
    results = []
    for portfolio in state["portfolios"]:
        pid = portfolio["id"]

        def call(pid: int = pid) -> dict[str, Any]:
            return portfolio_summary(user_id, pid)

        with override_settings(CACHEKIT_ENABLED=False):
            computed = call()
            uncached_queries = _queries(call)
            query_ms = _query_times(call, QUERY_TIME_REPEATS)
            plans = [_plan(query["sql"]) for query in uncached_queries]
        with override_settings(CACHEKIT_ENABLED=True):
            call()  # the quote board's entry is filled too
            _drop_user_entries(user_id)
            cold_queries = _queries(call)
            warm_queries = _queries(call)
            filled = call()
        if len(computed["holdings"]) != HOLDINGS or filled != computed:
            raise RuntimeError(
                f"portfolio {pid}: the summary has {len(computed['holdings'])} holdings, or the "
                "cached one differs from the computed one"
            )
        took = timed(call)[0]
        repeats = _repeats(took, SUMMARY_REPEATS, SUMMARY_SECONDS)
        samples: dict[bool, list[float]] = {False: [], True: []}
        for repeat in range(repeats + 2):
            for enabled in (False, True) if repeat % 2 == 0 else (True, False):
                with override_settings(CACHEKIT_ENABLED=enabled):
                    elapsed = timed(call)[0]
                if repeat >= 2:
                    samples[enabled].append(elapsed)
        cold = []
        with override_settings(CACHEKIT_ENABLED=True):
            for _ in range(COLD_REPEATS):
                _drop_user_entries(user_id)
                cold.append(timed(call)[0])
        serialise = [timed(lambda: SummarySerializer(filled).data)[0]  # noqa: B023
                     for _ in range(SERIALISE_REPEATS + 2)][2:]  # fmt: skip
        results.append({
            "size": portfolio["size"],
            "id": pid,
            "serialise": timing_summary(serialise),
            "uncached": timing_summary(samples[False]),
            "cached": timing_summary(samples[True]),
            "cold": timing_summary(cold),
            "queries": {
                "uncached": [{"label": _query_label(q["sql"]), "ms": ms, "plan": plan[0],
                              "rows_read": plan[1]}
                             for q, ms, plan in zip(uncached_queries, query_ms, plans,
                                                    strict=True)],
                "cold": len(cold_queries),
                "warm": len(warm_queries),
            },
            "totals": {name: str(computed[name]) for name in (
                "market_value", "cost_basis", "realised_pl", "dividends", "fees")},
        })  # fmt: skip
        print(
            f"  summary {portfolio['size']:,}: off {results[-1]['uncached']['median_ms']:.2f} ms, "
            f"on {results[-1]['cached']['median_ms']:.2f} ms, "
            f"queries {len(uncached_queries)}/{len(cold_queries)}/{len(warm_queries)}",
            file=sys.stderr,
            flush=True,
        )
    return results


def _naive_summary(portfolio_id: int, today: date) -> dict[str, Decimal]:
    """What a tracker without stored holdings does per request: each stock's transactions from
    PostgreSQL, replayed by average cost, then priced (fees summed from the same rows)."""
    from portfolio import ledger
    from portfolio.models import Transaction, TransactionKind
    from stocks.models import Stock, StockSplit

    records = Transaction.objects.filter(portfolio_id=portfolio_id)
    stock_ids = list(
        records.exclude(stock=None).order_by("stock_id").values_list("stock_id", flat=True)
        .distinct()
    )  # fmt: skip
    fees = sum(records.filter(kind=TransactionKind.FEE).values_list("fee", flat=True), ledger.ZERO)
    prices = dict(Stock.objects.filter(pk__in=stock_ids).values_list("pk", "last_price"))
    totals = dict.fromkeys(("market_value", "cost_basis", "realised_pl", "dividends"), ledger.ZERO)
    for stock_id in stock_ids:
        entries = [ledger.Entry(*row) for row in (
            records.filter(stock_id=stock_id).exclude(kind=TransactionKind.FEE)
            .order_by("traded_on", "id")
            .values_list("id", "kind", "traded_on", "quantity", "price", "fee"))]  # fmt: skip
        splits = [ledger.Split(*row) for row in StockSplit.objects.filter(
            stock_id=stock_id).values_list("effective_on", "old_shares", "new_shares")]  # fmt: skip
        position = ledger.replay(entries, splits, today=today)
        totals["realised_pl"] += position.realised_pl
        totals["dividends"] += position.dividends
        if position.quantity:
            totals["market_value"] += ledger.money(position.quantity * prices[stock_id])
            totals["cost_basis"] += position.cost_basis
    return {**totals, "fees": fees}


def _naive(state: dict[str, Any], summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    today = date.fromisoformat(state["today"])
    results = []
    for portfolio, ours in zip(state["portfolios"], summaries, strict=True):
        pid = portfolio["id"]

        def call(pid: int = pid) -> dict[str, Decimal]:
            return _naive_summary(pid, today)

        totals = call()
        queries = len(_queries(call))
        repeats = _repeats(timed(call)[0], NAIVE_REPEATS, NAIVE_SECONDS)
        samples = [timed(call)[0] for _ in range(repeats)]
        same = all(Decimal(ours["totals"][name]) == value for name, value in totals.items())
        results.append({
            "size": portfolio["size"],
            "replay": timing_summary(samples),
            "queries": queries,
            "same_totals": same,
            "totals": {name: str(value) for name, value in totals.items()},
        })  # fmt: skip
        print(
            f"  naive replay {portfolio['size']:,}: {results[-1]['replay']['median_ms']:.1f} ms, "
            f"{queries} queries, same totals as the summary: {same}",
            file=sys.stderr,
            flush=True,
        )
    return results


def _writes(state: dict[str, Any]) -> list[dict[str, Any]]:
    from portfolio import services
    from portfolio.models import Holding, Portfolio, Transaction
    from stocks.models import Stock

    today = date.fromisoformat(state["today"])
    middle = date.fromisoformat(state["start"]) + timedelta(days=DAYS // 2)
    results = []
    for index, portfolio_state in enumerate(state["portfolios"]):
        portfolio = Portfolio.objects.get(pk=portfolio_state["id"])
        stock = Stock.objects.get(pk=state["stock_ids"][index])
        stock_transactions = Transaction.objects.filter(portfolio=portfolio, stock=stock).count()
        fields = ("stock_id", "quantity", "cost_basis", "realised_pl", "dividends",
                  "last_traded_on")  # fmt: skip
        before = list(Holding.objects.filter(portfolio=portfolio).values_list(*fields))
        price = stock.last_price or Decimal(10_000)
        writes = {
            "appended": services.TransactionInput("buy", stock, Decimal(3), price, Decimal(0),
                                                  today, "bench: appended"),
            "backdated": services.TransactionInput("buy", stock, Decimal(3), price, Decimal(0),
                                                   middle, "bench: back-dated"),
        }  # fmt: skip
        samples: dict[str, list[float]] = {kind: [] for kind in writes}
        for repeat in range(WRITE_REPEATS + 1):
            for kind in writes if repeat % 2 == 0 else list(writes)[::-1]:
                record_one = functools.partial(
                    services.transaction_record, portfolio=portfolio, data=writes[kind]
                )
                elapsed, record = timed(record_one)
                services.transaction_delete(record=record)
                if repeat >= 1:  # the first of each is untimed
                    samples[kind].append(elapsed)
        after = list(Holding.objects.filter(portfolio=portfolio).values_list(*fields))
        results.append({
            "size": portfolio_state["size"],
            "stock": stock.code,
            "stock_transactions": stock_transactions,
            "appended": timing_summary(samples["appended"]),
            "backdated": timing_summary(samples["backdated"]),
            "holdings_unchanged": before == after,
        })  # fmt: skip
        print(
            f"  writes {portfolio_state['size']:,}: appended "
            f"{results[-1]['appended']['median_ms']:.1f} ms, back-dated "
            f"{results[-1]['backdated']['median_ms']:.1f} ms",
            file=sys.stderr,
            flush=True,
        )
    return results


def measure(state: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    summaries = _summaries(state)
    return {
        "postgres": version,
        "summaries": summaries,
        "naive": _naive(state, summaries),
        "writes": _writes(state),
    }


# --- the API through two servers (in run()'s process) -------------------------------------------


def _api_check(server: Any, url: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    holdings = len(json.loads(body).get("holdings", [])) if status == 200 else 0
    if holdings != HOLDINGS:
        raise RuntimeError(f"{server.mode} server, GET {url}: status {status}, {holdings} "
                           f"holdings\n{body[:500]!r}\n{server.log_tail()}")  # fmt: skip


def _api(env: dict[str, str], state: dict[str, Any]) -> dict[int, dict[str, Any]]:
    from bench.loadgen import hammer
    from bench.servers import UvicornServer

    headers = {"Authorization": f"Bearer {state['access_token']}"}
    envs = {"uncached": {**env, "CACHE_ENABLED": "0"}, "cached": {**env, "CACHE_ENABLED": "1"}}
    paths = {p["size"]: SUMMARY_PATH.format(id=p["id"]) for p in state["portfolios"]}
    servers = {}
    latencies: dict[tuple[str, int], list[float]] = defaultdict(list)
    rates: dict[tuple[str, int], list[float]] = defaultdict(list)
    errors: Counter[tuple[str, int]] = Counter()
    try:
        for mode, mode_env in envs.items():
            servers[mode] = UvicornServer(mode, mode_env)
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in servers.values():
            server.wait_ready(deadline)
        for path in paths.values():
            for server in servers.values():  # a check, then a warm-up: connections, cache entry
                _api_check(server, server.base + path, headers)
                hammer(server.base + path, total=20, concurrency=API_CONCURRENCY, headers=headers)
        for round_number in range(API_ROUNDS):
            order = list(servers) if round_number % 2 == 0 else list(servers)[::-1]
            for size, path in paths.items():
                for mode in order:
                    result = hammer(servers[mode].base + path, total=API_REQUESTS,
                                    concurrency=API_CONCURRENCY, headers=headers)  # fmt: skip
                    latencies[(mode, size)].extend(result.latencies_ms)
                    rates[(mode, size)].append(result.requests_per_second)
                    errors[(mode, size)] += result.errors
                    print(
                        f"  API {mode:8} {size:6,} {result.requests_per_second:6.0f} req/s "
                        f"p50 {result.median_ms:6.1f} ms errors {result.errors}",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
    return {
        size: {
            mode: {
                **timing_summary(latencies[(mode, size)]),
                "req_s": statistics.mean(rates[(mode, size)]),
                "spread": (max(rates[(mode, size)]) - min(rates[(mode, size)]))
                / max(rates[(mode, size)]),
                "errors": errors[(mode, size)],
            }
            for mode in envs
        }
        for size in paths
    }


# --- the benchmark ------------------------------------------------------------------------------


def _step(step: str, env: dict[str, str], state: dict[str, Any] | None = None) -> dict[str, Any]:
    """One step in a child process with Django set up; its progress goes to our stderr."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.portfolio_summary", step, json.dumps(state or {})],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.portfolio_summary {step} exited with {out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(env: dict[str, str]) -> str:
    """Measure and return a markdown section for bench/README.md."""
    began = time.monotonic()
    state: dict[str, Any] = {}
    try:
        state = _step("seed", env)
        print(f"  seeded in {state['seconds']:.1f} s", flush=True)
        measured = _step("measure", env, state)
        api = _api(env, state)
    finally:
        cleaned = _step("clean", env, state)
        print(
            f"  deleted {cleaned['transactions']:,} transactions, {cleaned['stocks_deleted']} "
            f"stocks in {cleaned['seconds']:.1f} s",
            flush=True,
        )
    return _report(state, measured, api, cleaned, time.monotonic() - began)


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def _times(value: float, better: str, worse: str) -> str:
    return f"{value:.1f}× ({better})" if value >= 1 else f"{1 / value:.1f}× ({worse})"


def _report(
    state: dict[str, Any],
    measured: dict[str, Any],
    api: dict[int, dict[str, Any]],
    cleaned: dict[str, Any],
    seconds: float,
) -> str:
    seeded = {p["size"]: p for p in state["portfolios"]}
    summaries = {row["size"]: row for row in measured["summaries"]}
    naive = {row["size"]: row for row in measured["naive"]}
    writes = {row["size"]: row for row in measured["writes"]}
    created = len(state["created_stock_ids"])
    lines = [
        "## Portfolio summary: stored holdings, cached vs uncached, vs replaying on request",
        "",
        f"One user with two portfolios of {HOLDINGS} holdings (the first {HOLDINGS} stocks of "
        f"`stocks/data/krx_listings.csv` by code; {created} listed stocks were missing and were "
        f"created for the run; {state['board_size']} stocks on the quote board), their "
        f"transactions spread over the {DAYS} days before today, loaded through "
        f"`services.transactions_import`. {measured['postgres']}, one process, one run.",
        "",
        "| transactions | buys / sells / dividends / fees | import | of which the INSERT "
        "| of which re-deriving holdings | rows/s | holdings (shares held) | realised-gain rows |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size, row in seeded.items():
        k = row["kinds"]
        lines.append(
            f"| {size:,} | {k.get('buy', 0):,} / {k.get('sell', 0):,} / {k.get('dividend', 0):,} "
            f"/ {k.get('fee', 0):,} | {row['import_seconds']:.1f} s | "
            f"{row['insert_seconds']:.1f} s | {row['rederive_seconds']:.1f} s | "
            f"{size / row['import_seconds']:,.0f} | "
            f"{row['holdings']} ({row['held']}) | {row['gains']:,} |"
        )
    lines += [
        "",
        "`portfolio_summary(user_id, portfolio_id)` in process: the cache toolkit off "
        "(`CACHEKIT_ENABLED=False`: computes every time, the quote board too) vs on and warm "
        "(alternating, after 2 untimed); cold: on, right after the user's entries were dropped "
        "as a write drops them (the quote board's entry stays warm). SQL queries counted with "
        "`CaptureQueriesContext`.",
        "",
        "| transactions | cache off median | off p95 | warm median | warm p95 | off ÷ warm "
        "| cold median | cold p95 | SQL queries off / cold / warm |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, row in summaries.items():
        off, on, cold, q = row["uncached"], row["cached"], row["cold"], row["queries"]
        lines.append(
            f"| {size:,} ({off['n']}× each) | {_ms(off['median_ms'])} | {_ms(off['p95_ms'])} | "
            f"{_ms(on['median_ms'])} | {_ms(on['p95_ms'])} | "
            f"{_times(off['median_ms'] / on['median_ms'], 'cached faster', 'cached slower')} | "
            f"{_ms(cold['median_ms'])} | {_ms(cold['p95_ms'])} | "
            f"{len(q['uncached'])} / {q['cold']} / {q['warm']} |"
        )
    counts = {size: (len(r["queries"]["uncached"]), r["queries"]["cold"], r["queries"]["warm"])
              for size, r in summaries.items()}  # fmt: skip
    constant = len(set(counts.values())) == 1
    lines += [
        "",
        ("Query count the same at every size: **yes**." if constant else
         "Query count the same at every size: **no** (" + ", ".join(
             f"{size:,}: {c}" for size, c in counts.items()) + ").")
        + f" The uncached summary's queries one by one (median of {QUERY_TIME_REPEATS} calls; "
        "what PostgreSQL reads from `EXPLAIN ANALYZE`):",
        "",
        "| query | " + " | ".join(f"{size:,}: time | {size:,}: reads" for size in summaries)
        + " |",
        "|---|" + "---:|---|" * len(summaries),
    ]  # fmt: skip
    first = next(iter(summaries.values()))["queries"]["uncached"]
    for index, query in enumerate(first):
        cells = []
        for row in summaries.values():
            same = row["queries"]["uncached"][index] if index < len(
                row["queries"]["uncached"]) else {"ms": float("nan"), "plan": "—"}  # fmt: skip
            cells += [_ms(same["ms"]), same["plan"]]
        lines.append(f"| {query['label']} | " + " | ".join(cells) + " |")
    growing = []
    for index, query in enumerate(first):
        reads = [row["queries"]["uncached"][index]["rows_read"] for row in summaries.values()
                 if index < len(row["queries"]["uncached"])]  # fmt: skip
        if len(reads) == len(summaries) and reads[-1] > reads[0]:
            growing.append(f"{query['label']}: " + " → ".join(f"{n:,}" for n in reads)
                           + " rows read")  # fmt: skip
    serialise = ", ".join(
        f"{size:,}: {_ms(row['serialise']['median_ms'])}" for size, row in summaries.items()
    )
    lines += [
        "",
        ("Queries that read more rows as the transactions grow (the count stays constant, "
         "their cost does not): " + "; ".join(growing) + "." if growing else
         "No query reads more rows as the transactions grow."),
        "",
        f"Serialising the summary with the API's `SummarySerializer` (in process, median of "
        f"{SERIALISE_REPEATS}; the API does it on every request, cached or not): {serialise}.",
        "",
        "The baseline a tracker without stored holdings runs on each request: every stock's "
        "transactions read from PostgreSQL in date order and replayed by `portfolio.ledger."
        "replay`, then priced (the stock list, splits and fees read too). Its totals are checked "
        "against the summary's (market value, cost basis, realised gains, dividends, fees).",
        "",
        "| transactions | replay median | replay p95 | runs | SQL queries | same totals "
        "| replay ÷ our uncached summary |",
        "|---:|---:|---:|---:|---:|---|---:|",
    ]  # fmt: skip
    for size, row in naive.items():
        ours = summaries[size]["uncached"]["median_ms"]
        lines.append(
            f"| {size:,} | {_ms(row['replay']['median_ms'])} | {_ms(row['replay']['p95_ms'])} | "
            f"{row['replay']['n']} | {row['queries']} | "
            f"{'yes' if row['same_totals'] else '**no**'} | "
            f"{_times(row['replay']['median_ms'] / ours, 'ours faster', 'ours slower')} |"
        )
    lines += [
        "",
        f"The write path: `transaction_record` of a 3-share buy in one stock, dated today (after "
        f"the stock's last transaction: applied to the stored holding) vs dated "
        f"{DAYS // 2} days into the history (back-dated: that stock's transactions replayed and "
        f"its realised gains rewritten); {WRITE_REPEATS} of each, alternating, after one "
        "untimed; each deleted again with `transaction_delete` (untimed), so the portfolio "
        "ends as it began. Commit and cache invalidation included.",
        "",
        "| transactions | stock (its transactions) | appended median | p95 | back-dated median "
        "| p95 | back-dated ÷ appended | holdings unchanged after |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for size, row in writes.items():
        a, b = row["appended"], row["backdated"]
        lines.append(
            f"| {size:,} | {row['stock']} ({row['stock_transactions']}) | {_ms(a['median_ms'])} "
            f"| {_ms(a['p95_ms'])} | {_ms(b['median_ms'])} | {_ms(b['p95_ms'])} | "
            f"{b['median_ms'] / a['median_ms']:.1f}× | "
            f"{'yes' if row['holdings_unchanged'] else '**no**'} |"
        )
    lines += [
        "",
        f"`GET {SUMMARY_PATH}` through two uvicorn processes side by side, `CACHE_ENABLED=0` "
        f"and `=1`, Bearer token of the user, {API_CONCURRENCY} concurrent keep-alive clients "
        f"(bench.loadgen), {API_ROUNDS} rounds of {API_REQUESTS} requests alternating between "
        "the servers after a warm-up; latencies pooled, requests/s the mean of the rounds.",
        "",
        "| transactions | uncached p50 | p95 | req/s | cached p50 | p95 | req/s "
        "| cached ÷ uncached req/s | errors (u/c) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, row in api.items():
        off, on = row["uncached"], row["cached"]
        lines.append(
            f"| {size:,} | {_ms(off['median_ms'])} | {_ms(off['p95_ms'])} | {off['req_s']:.0f} "
            f"| {_ms(on['median_ms'])} | {_ms(on['p95_ms'])} | {on['req_s']:.0f} | "
            f"{on['req_s'] / off['req_s']:.1f}× | {off['errors']}/{on['errors']} |"
        )
    spreads = ", ".join(
        f"{size:,}: ±{max(row['uncached']['spread'], row['cached']['spread']):.0%}"
        for size, row in api.items()
    )
    lines += [
        "",
        f"Requests/s spread between rounds: {spreads}.",
        "",
        f"Clean-up: the portfolios' {cleaned['transactions']:,} transactions deleted (with "
        f"holdings and gains) in {cleaned['portfolio_delete_seconds']:.1f} s, the user and its "
        f"sessions, {cleaned['stocks_deleted']} created stocks, {cleaned['job_runs_deleted']} "
        f"queued value-history job runs the imports made; {cleaned['prices_restored']} stock "
        "prices restored. Whole benchmark, seeding, server start-up and clean-up included: "
        f"{seconds:.0f} s.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import django

    django.setup()
    steps = {"seed": seed, "measure": measure, "clean": clean}
    arguments = [json.loads(sys.argv[2])] if len(sys.argv) > 2 and sys.argv[1] != "seed" else []
    print(json.dumps(steps[sys.argv[1]](*arguments), default=str))
