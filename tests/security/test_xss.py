"""Item 4 of the security review: every user-supplied text the pages show is escaped.

Mallory puts the payload in every text field she controls (see xss.py); each page that shows
one of them is rendered for its viewer and must show the payload escaped, never as markup. The
pages that render such data in the browser are checked in test_xss_browser.py."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from news import services as news_services
from news.models import Article, FeedSource
from tests.accounts.factories import UserFactory
from tests.localhttp import LocalHttpServer
from tests.security.xss import ESCAPED, PAYLOAD, Hostile, assert_not_raw, hostile_data

pytestmark = pytest.mark.django_db

Q = quote(PAYLOAD)


@pytest.fixture
def hostile() -> Hostile:
    return hostile_data()


def _page(user, path: str) -> str:  # noqa: ANN001
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code in (200, 400, 404), (path, response.status_code)
    return response.content.decode()


# (what, viewer, path): the page shows that field, so it must show it escaped.
SHOWN = [
    ("username", "mallory", lambda h: "/"),
    ("portfolio name", "mallory", lambda h: "/portfolio/"),
    ("portfolio name and transaction note", "mallory", lambda h: f"/portfolio/{h.portfolio.pk}/"),
    ("room name", "alice", lambda h: "/chat/"),
    ("room name", "alice", lambda h: f"/chat/{h.room.pk}/"),
    ("room name, to join", "outsider", lambda h: "/chat/"),
    ("image file name", "mallory", lambda h: "/media/"),
    ("news title", None, lambda h: "/news/"),
    ("news title and summary", None, lambda h: f"/news/{h.article.pk}/"),
    ("news on the stock page", None, lambda h: f"/stocks/{h.stock.code}/"),
    ("news search echoed", None, lambda h: f"/news/?q={Q}"),
    ("invalid news filters echoed", None, lambda h: f"/news/?stock={Q}&source={Q}&sentiment={Q}"),
    ("stock search echoed", None, lambda h: f"/stocks/?q={Q}"),
    ("login form's username echoed", None, lambda h: "/accounts/login/"),
]
# Pages that show these fields only to staff.
ADMIN = [
    "/admin/accounts/user/",
    "/admin/portfolio/portfolio/",
    "/admin/chat/room/",
    "/admin/chat/message/",
    "/admin/media/image/",
    "/admin/news/article/",
]


@pytest.mark.parametrize(("what", "viewer", "path"), SHOWN, ids=[s[0] for s in SHOWN])
def test_user_supplied_text_is_escaped_on_the_page_that_shows_it(hostile, what, viewer, path):
    users = {"mallory": hostile.mallory, "alice": hostile.alice, "outsider": UserFactory(),
             None: None}  # fmt: skip
    if what == "login form's username echoed":
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        html = client.post("/accounts/login/", {"username": PAYLOAD, "password": "x"}).content
        html = html.decode()
    else:
        html = _page(users[viewer], path(hostile))

    assert_not_raw(html, what)
    assert ESCAPED in html, f"{what}: the page does not show the field (the check proves nothing)"


@pytest.mark.parametrize("path", ADMIN)
def test_the_admin_escapes_user_supplied_text(hostile, path):
    staff = UserFactory(is_staff=True, is_superuser=True)

    html = _page(staff, path)

    assert_not_raw(html, path)
    assert ESCAPED in html, path


def test_a_path_echoed_by_the_not_found_page_is_escaped(db):
    html = _page(None, f"/no-such-page/{Q}")

    assert_not_raw(html, "404 page")


class HostileFeed(LocalHttpServer):
    """A feed whose titles and summaries carry markup, escaped and in CDATA."""

    def answer(self, path: str, headers) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
        escaped = PAYLOAD.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        items = "".join(
            f"<item><title>{title}</title><link>https://hostile.example/{n}</link>"
            f"<description>{title}</description>"
            "<pubDate>Fri, 14 Mar 2025 09:30:00 +0900</pubDate></item>"
            for n, title in enumerate([escaped, f"<![CDATA[{PAYLOAD}]]>"])
        )
        body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>t</title><link>https://hostile.example/</link><description>d"
                f"</description>{items}</channel></rss>")  # fmt: skip
        return 200, {"Content-Type": "application/rss+xml"}, body.encode()


def test_crawled_news_with_markup_is_shown_escaped(settings):
    settings.NEWS_RETENTION_DAYS = 36500  # the feed's dates are from March 2025
    feed = HostileFeed()
    try:
        FeedSource.objects.create(name="hostile", url=f"{feed.url}/rss", language="en")
        assert news_services.feeds_crawl().new_articles == 2
    finally:
        feed.close()

    listing = _page(None, "/news/")
    assert_not_raw(listing, "/news/")
    for article in Article.objects.all():
        html = _page(None, f"/news/{article.pk}/")
        assert_not_raw(html, f"article {article.title!r}")
        # The crawler keeps a feed's text and drops its markup; the pages escape what is left
        # (an article stored with markup: test_user_supplied_text_is_escaped_on_the_page...).
        assert "<script" not in article.title + article.summary
        assert "window.__xss=1" in html
