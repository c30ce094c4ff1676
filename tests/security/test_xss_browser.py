"""Item 4 in a real browser: the pages that render user data with JavaScript (the chat page's
history, live messages and search snippets; the dashboard, stock, portfolio and media pages)
never run the payload: `window.__xss` stays undefined and no dialog opens."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from chat import services as chat_services
from tests.browser import in_thread, require_chromium
from tests.security.xss import PAYLOAD, Hostile, hostile_data

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(page, server, user) -> None:  # noqa: ANN001
    client = Client()
    in_thread(lambda: client.force_login(user))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                               "url": server.http_url}])  # fmt: skip


def _watch_dialogs(page) -> list[str]:  # noqa: ANN001
    dialogs: list[str] = []

    def dismiss(dialog) -> None:  # noqa: ANN001
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return dialogs


def test_the_payload_never_runs_on_the_pages_that_render_user_data(asgi_server, browser_pages):
    hostile: Hostile = in_thread(hostile_data)
    server = asgi_server()
    alice, mallory = browser_pages(), browser_pages()
    _signed_in(alice, server, hostile.alice)
    _signed_in(mallory, server, hostile.mallory)
    alice_dialogs, mallory_dialogs = _watch_dialogs(alice), _watch_dialogs(mallory)

    alice.goto(f"{server.http_url}/chat/{hostile.room.pk}/")
    expect(alice.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)
    messages = alice.get_by_test_id("messages")
    expect(messages).to_contain_text("window.__xss=1")  # the history, as text
    in_thread(lambda: chat_services.message_send(room=hostile.room, sender=hostile.mallory,
                                                 content=f"{PAYLOAD} live"))  # fmt: skip
    expect(messages).to_contain_text("live")
    alice.get_by_label("Search messages").fill("삼성")
    alice.get_by_role("button", name="Search").click()
    expect(alice.get_by_test_id("search-results").locator("mark").first).to_have_text("삼성")
    expect(alice.get_by_test_id("search-results")).to_contain_text("window.__xss=1")
    assert alice.evaluate("typeof window.__xss") == "undefined"

    for path in ("/", f"/stocks/{hostile.stock.code}/", f"/portfolio/{hostile.portfolio.pk}/",
                 "/media/", "/chat/", f"/news/{hostile.article.pk}/"):  # fmt: skip
        mallory.goto(f"{server.http_url}{path}")
        mallory.wait_for_load_state("load")
        assert mallory.evaluate("typeof window.__xss") == "undefined", path

    assert alice_dialogs == [] and mallory_dialogs == []
