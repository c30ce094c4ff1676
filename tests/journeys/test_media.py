"""Journey 5: the demo investor uploads a phone photo on /media/; a real Celery worker processes
it while the page waits, and the page shows it upright, then it becomes the avatar in the header."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import expect, sign_in
from tests.media import corpus
from tests.media.conftest import media_root  # noqa: F401 - uploads go to the test's own folder

pytestmark = pytest.mark.django_db(transaction=True)


def test_media(demo_site, running_worker, person, look, tmp_path):
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(corpus.jpeg_oriented(6))  # stored sideways, to be shown upright
    page = person()
    sign_in(page, demo_site, "demo", "/media/")
    look(page, "images-empty")

    page.get_by_label("Image").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".messages")).to_contain_text("Uploaded")
    card = page.get_by_test_id("images").locator(".image-card").first
    thumbnail = card.locator("img")
    expect(thumbnail).to_be_visible(timeout=30_000)  # the page followed it to ready by itself
    expect(card).to_have_attribute("data-status", "ready")
    width, height = thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert (width, height) == corpus.ORIENTED_SIZE  # upright: wider than tall, as displayed
    look(page, "images-processed")

    card.get_by_role("button", name="Use as avatar").click()
    expect(card.get_by_text("Your avatar")).to_be_visible()
    expect(page.locator(".site-header img.avatar")).to_be_visible()
    look(page, "images-avatar")
