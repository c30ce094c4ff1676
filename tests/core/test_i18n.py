"""Korean by default, English on request (F-i18n)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_default_language_is_korean(client):
    page = client.get("/").content.decode()

    assert '<html lang="ko">' in page
    assert "한국 시장" in page and "상승 상위" in page


def test_language_switch_sets_english_for_the_next_pages(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Korean market" in page and "Top gainers" in page


def test_browser_language_is_honoured(client):
    page = client.get("/", headers={"accept-language": "en-US,en;q=0.9"}).content.decode()

    assert '<html lang="en">' in page


def test_api_messages_follow_accept_language(client):
    korean = client.get("/api/v1/auth/me/")
    english = client.get("/api/v1/auth/me/", headers={"accept-language": "en"})

    assert korean.json()["detail"] != english.json()["detail"]
    assert english.json()["detail"] == "Authentication credentials were not provided."
