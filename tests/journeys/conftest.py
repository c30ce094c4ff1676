"""What every journey shares: a demo site served by a real ASGI server, people in a desktop or a
phone browser, and `look`, which keeps a screenshot of each page visited and fails a phone page
that scrolls sideways."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_USERS
from news import services as news_services
from tests.browser import in_thread, require_chromium
from tests.conftest import AsgiServer
from tests.pipelines.conftest import worker  # noqa: F401 - a real Celery worker

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402, F401 - expect for the journeys

ARTIFACTS = Path(
    os.environ.get(
        "INSIGHTSTOCK_ARTIFACTS_DIR",
        Path(__file__).resolve().parents[2] / ".var" / "artifacts" / "journeys",
    )
)
# A phone as Playwright's device descriptors describe one; scale 1 keeps the screenshots small.
VIEWPORTS: dict[str, dict[str, object]] = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 1},
}  # fmt: skip
DEMO_PASSWORDS = {username: password for username, password, _ in DEMO_USERS}

# Which elements stick out past the right edge (to say what to fix, not only that it is wrong).
_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const clipped = (el) => {  // inside a box that scrolls or clips sideways: not the page's width
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (clipped(el)) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      const classes = typeof el.className === "string" ? el.className.trim().split(/ +/) : [];
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + classes.filter(Boolean).map((c) => "." + c).join("") + " right=" + Math.round(box.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width,
          innerWidth: window.innerWidth, offenders: out.slice(0, 8)};
}"""


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def person(browser_pages: Callable[..., Page], viewport: str) -> Callable[[], Page]:
    """A new person (own browser context, own cookies) on this test's kind of screen."""
    return lambda: browser_pages(**VIEWPORTS[viewport])


@pytest.fixture
def look(request: pytest.FixtureRequest, viewport: str) -> Iterator[Callable[[Page, str], None]]:
    """Keep a full-page screenshot, named journey/NN-page-viewport.png; on a phone, check that
    the page does not scroll sideways. Playwright's mobile emulation zooms out a page that is
    too wide, which makes window.innerWidth grow with it: the layout viewport
    (documentElement.clientWidth) and the phone's own width are what the page must fit.
    The journey goes on past a page that does not fit, so one run names every such page."""
    journey = re.sub(r"^test_", "", request.node.originalname)
    folder = ARTIFACTS / journey
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"*-{viewport}.png"):  # an earlier run's, of pages since renamed
        stale.unlink()
    count = 0
    misfits: list[str] = []

    def look_at(page: Page, name: str) -> None:
        nonlocal count
        count += 1
        page.wait_for_load_state("load")
        if viewport == "phone":
            width = VIEWPORTS["phone"]["width"]
            fit = page.evaluate(_OVERFLOW)
            if not fit["scrollWidth"] <= fit["clientWidth"] == fit["innerWidth"] == width:
                misfits.append(f"{name} ({page.url}): {fit}")
        path = folder / f"{count:02d}-{name}-{viewport}.png"
        page.screenshot(path=path, full_page=True, animations="disabled")

    yield look_at
    assert count, "the journey looked at no page"
    assert not misfits, "pages that scroll sideways on a phone:\n" + "\n".join(misfits)


@pytest.fixture
def demo_history_days() -> int | None:
    """Days of price history seed_demo writes; None: the test settings' few. A journey that
    needs more overrides this fixture."""
    return None


@pytest.fixture
def demo_site(
    asgi_server: Callable[[], AsgiServer],
    settings,  # noqa: ANN001
    demo_history_days: int | None,
) -> AsgiServer:
    """The site as `make run` leaves it: `seed_demo`'s users, stocks, portfolio and rooms."""
    server = asgi_server()
    settings.NEWS_DEMO_FEED_BASE_URL = server.http_url
    if demo_history_days is not None:
        settings.STOCKS_DEMO_HISTORY_DAYS = demo_history_days
    in_thread(lambda: call_command("seed_demo", stdout=StringIO()))
    return server


@pytest.fixture
def demo_news(demo_site: AsgiServer) -> None:
    """The demo news feeds crawled over HTTP from the running site, and analysed."""

    def crawl() -> None:
        news_services.feeds_crawl()
        news_services.articles_analyse()

    in_thread(crawl)


@pytest.fixture
def running_worker(worker: Callable[[], None]) -> None:  # noqa: F811
    """A real Celery worker on the real broker. Asked for before `person`, so it starts before
    Playwright's event loop owns this thread: Django refuses the worker's start-up database
    calls from there."""
    worker()


def sign_in(page: Page, server: AsgiServer, username: str, next_path: str = "/") -> None:
    """As a demo user (seed_demo's demo or staff), through the login page; lands on next_path."""
    page.goto(f"{server.http_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.http_url}{next_path}")
    expect(page.get_by_test_id("whoami")).to_have_text(username)
