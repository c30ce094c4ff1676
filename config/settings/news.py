"""News (N1-N3): how the feed crawler fetches."""

from config.env import env

# Feed fetching: one timeout for a feed's whole fetch, largest body read, feeds fetched at once.
NEWS_FETCH_TIMEOUT_SECONDS = env.float("NEWS_FETCH_TIMEOUT_SECONDS", default=10.0)
NEWS_FETCH_MAX_BYTES = env.int("NEWS_FETCH_MAX_BYTES", default=5 * 1024 * 1024)
NEWS_FETCH_CONCURRENCY = env.int("NEWS_FETCH_CONCURRENCY", default=8)
# The newest entries kept from one feed per crawl (a feed of thousands is a dump, not news).
NEWS_MAX_ENTRIES_PER_FEED = max(1, env.int("NEWS_MAX_ENTRIES_PER_FEED", default=200))
# Feeds and their redirects may not reach loopback, private or link-local addresses, except these
# "host:port" pairs (comma-separated; "*" for any port). `make run` adds its own address, which
# serves the demo feeds.
NEWS_ALLOWED_PRIVATE_HOSTS = env.str("NEWS_ALLOWED_PRIVATE_HOSTS", default="")
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
# The sources in /news/'s filter: those with the most articles (any other is still filtered by
# ?source=<id>, the link on each article).
NEWS_SOURCE_CHOICES = max(1, env.int("NEWS_SOURCE_CHOICES", default=50))
