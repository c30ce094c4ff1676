"""Market data (S5): which provider collects prices, and how hard it may be pushed."""

from config.env import env

# "simulated" (the offline default, a deterministic random walk) or "yahoo" (Yahoo Finance's chart
# API over HTTP).
STOCKS_PROVIDER = env.str("STOCKS_PROVIDER", default="simulated")
# Seed of the simulated market: the same seed gives the same prices at the same moment.
STOCKS_SIMULATION_SEED = env.str("STOCKS_SIMULATION_SEED", default="insightstock")
STOCKS_YAHOO_BASE_URL = env.str("STOCKS_YAHOO_BASE_URL", default="https://query1.finance.yahoo.com")
STOCKS_PROVIDER_TIMEOUT_SECONDS = env.float("STOCKS_PROVIDER_TIMEOUT_SECONDS", default=5.0)
STOCKS_PROVIDER_CONCURRENCY = env.int("STOCKS_PROVIDER_CONCURRENCY", default=8)
# One provider call (a batch of stocks) ends by then, whatever is still outstanding.
STOCKS_PROVIDER_CALL_DEADLINE_SECONDS = env.float("STOCKS_PROVIDER_CALL_DEADLINE_SECONDS",
                                                  default=20.0)  # fmt: skip
# A collection starts no new batch after this long, so it ends inside its job's time limit.
STOCKS_COLLECT_BUDGET_SECONDS = env.float("STOCKS_COLLECT_BUDGET_SECONDS", default=25.0)
# Requests per minute to the provider, shared by every worker (counted in Redis).
STOCKS_PROVIDER_REQUESTS_PER_MINUTE = env.int("STOCKS_PROVIDER_REQUESTS_PER_MINUTE", default=600)
# Circuit breaker: this many failed calls in a row open it; it stays open this long, then lets
# one trial call through.
STOCKS_PROVIDER_FAILURES_TO_OPEN = env.int("STOCKS_PROVIDER_FAILURES_TO_OPEN", default=5)
STOCKS_PROVIDER_OPEN_SECONDS = env.int("STOCKS_PROVIDER_OPEN_SECONDS", default=60)

# Price collection (data branch): how often, and whether only in KRX hours (09:00-15:30 KST on
# weekdays). Off by default so the simulated demo market moves at any hour.
STOCKS_COLLECT_EVERY_SECONDS = env.int("STOCKS_COLLECT_EVERY_SECONDS", default=60)
STOCKS_MARKET_HOURS_ONLY = env.bool("STOCKS_MARKET_HOURS_ONLY", default=False)
# The market snapshot is pushed to /ws/market/ this often.
STOCKS_PUBLISH_EVERY_SECONDS = env.int("STOCKS_PUBLISH_EVERY_SECONDS", default=10)
# Per connection, snapshots waiting to be written; a client that reads slower loses the oldest.
STOCKS_WS_QUEUE_LENGTH = env.int("STOCKS_WS_QUEUE_LENGTH", default=8)
# Each ASGI process's broadcaster says it has subscribers by renewing a Redis entry this often.
STOCKS_WS_HUB_HEARTBEAT_SECONDS = env.int("STOCKS_WS_HUB_HEARTBEAT_SECONDS", default=10)
# Sockets a hub hands a snapshot to before it lets the event loop serve other work: one burst to
# 3,000 sockets held every HTTP request on the process for about half a second (`make load`).
STOCKS_WS_FANOUT_SLICE = env.int("STOCKS_WS_FANOUT_SLICE", default=100)
# How many of the most viewed stocks the cache branch keeps warm, and how many movers are shown.
STOCKS_WARM_TOP_N = env.int("STOCKS_WARM_TOP_N", default=20)
STOCKS_MOVERS_COUNT = env.int("STOCKS_MOVERS_COUNT", default=5)
STOCKS_RECENTLY_VIEWED_COUNT = env.int("STOCKS_RECENTLY_VIEWED_COUNT", default=8)
# Demo data: days of daily bars seeded.
STOCKS_DEMO_HISTORY_DAYS = env.int("STOCKS_DEMO_HISTORY_DAYS", default=365)
# One-minute bars and index snapshots older than this are pruned (daily bars are kept).
STOCKS_INTRADAY_RETENTION_DAYS = env.int("STOCKS_INTRADAY_RETENTION_DAYS", default=7)
# Demo data: one-minute bars seeded for today's session so far (at most this many minutes).
STOCKS_DEMO_INTRADAY_MINUTES = env.int("STOCKS_DEMO_INTRADAY_MINUTES", default=390)
