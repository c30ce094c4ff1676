"""News (N1-N3): how the feed crawler fetches."""

from config.env import env

# Feed fetching: per-request timeout, largest body read, feeds fetched at once.
NEWS_FETCH_TIMEOUT_SECONDS = env.float("NEWS_FETCH_TIMEOUT_SECONDS", default=10.0)
NEWS_FETCH_MAX_BYTES = env.int("NEWS_FETCH_MAX_BYTES", default=5 * 1024 * 1024)
NEWS_FETCH_CONCURRENCY = env.int("NEWS_FETCH_CONCURRENCY", default=8)
# Demo data: where the demo feeds (news/static/news/demo-feeds/) are served; `make run` serves
# them itself, so the crawler fetches them over real HTTP, offline.
NEWS_DEMO_FEED_BASE_URL = env.str("NEWS_DEMO_FEED_BASE_URL", default="http://127.0.0.1:8000")
