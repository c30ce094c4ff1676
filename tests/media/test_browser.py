"""Issue 9's "done means" in a browser: a user uploads a phone photo on /media/, the page follows
it to ready on its own (a real worker processes it), and it is shown upright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.accounts.factories import UserFactory
from tests.browser import in_thread, require_chromium
from tests.media import corpus
from tests.pipelines.conftest import worker  # noqa: F401 - a real Celery worker

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(os.environ.get("INSIGHTSTOCK_ARTIFACTS", ".var/artifacts")) / "media"


def test_a_phone_photo_is_uploaded_processed_and_shown_upright(
    asgi_server,
    browser_page,
    worker,  # noqa: F811
    media_root,  # noqa: F811
    tmp_path,
):
    in_thread(lambda: UserFactory(username="photographer"))
    worker()
    server = asgi_server()
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(corpus.jpeg_oriented(6))  # stored sideways, to be shown upright
    page = browser_page
    page.goto(f"{server.http_url}/accounts/login/?next=/media/")
    page.get_by_label("Username").fill("photographer")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("Image").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("Uploaded")
    thumbnail = page.get_by_test_id("images").locator("img").first
    expect(thumbnail).to_be_visible(timeout=30_000)  # the page followed it to ready by itself
    width, height = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert (width, height) == corpus.ORIENTED_SIZE  # upright: wider than tall, as displayed
    red = thumbnail.evaluate(
        """img => { const c = document.createElement("canvas"); c.width = img.naturalWidth;
        c.height = img.naturalHeight; const x = c.getContext("2d"); x.drawImage(img, 0, 0);
        return Array.from(x.getImageData(4, 4, 1, 1).data); }"""
    )
    assert red[0] > 150 and red[2] < 100  # the red block is at the top left, as shown
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "media.png", full_page=True)
