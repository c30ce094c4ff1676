"""News (N1-N3): how the feed crawler fetches."""

from config.env import env

# Feed fetching: per-request timeout, largest body read, feeds fetched at once.
NEWS_FETCH_TIMEOUT_SECONDS = env.float("NEWS_FETCH_TIMEOUT_SECONDS", default=10.0)
NEWS_FETCH_MAX_BYTES = env.int("NEWS_FETCH_MAX_BYTES", default=5 * 1024 * 1024)
NEWS_FETCH_CONCURRENCY = env.int("NEWS_FETCH_CONCURRENCY", default=8)
# Demo data: where the demo feeds (news/demo_feeds/) are served; `make run` serves
# them itself, so the crawler fetches them over real HTTP, offline.
NEWS_DEMO_FEED_BASE_URL = env.str("NEWS_DEMO_FEED_BASE_URL", default="http://127.0.0.1:8000")
# Clean-up (N2): articles published longer ago than this are deleted weekly, this many per batch;
# the crawler does not store them either.
NEWS_RETENTION_DAYS = env.int("NEWS_RETENTION_DAYS", default=90)
NEWS_PRUNE_BATCH_SIZE = max(1, env.int("NEWS_PRUNE_BATCH_SIZE", default=1000))
# Pages: articles per page of /news/ and of the API, and the news shown on a stock's page.
NEWS_PAGE_SIZE = env.int("NEWS_PAGE_SIZE", default=20)
NEWS_ON_STOCK_PAGE = env.int("NEWS_ON_STOCK_PAGE", default=5)
