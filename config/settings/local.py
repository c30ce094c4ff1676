"""Settings for `make run` on a developer's machine."""

from urllib.parse import urlsplit

from config.settings.base import *  # noqa: F403
from config.settings.news import NEWS_ALLOWED_PRIVATE_HOSTS, NEWS_DEMO_FEED_BASE_URL

# The site serves its own demo feeds here: the crawler may fetch them although the address is
# loopback (`make run` allows its own address too; this covers `make manage ARGS="crawl_news"`).
_demo_feeds = urlsplit(NEWS_DEMO_FEED_BASE_URL)
NEWS_ALLOWED_PRIVATE_HOSTS = ",".join(  # noqa: F811
    filter(None, [NEWS_ALLOWED_PRIVATE_HOSTS, f"{_demo_feeds.hostname}:{_demo_feeds.port or 80}"])
)
