"""Issue 8's page as two people use it (H12 and item 9): two browser contexts chat live, a reply
quotes its message, a `<script>` message is shown as text, another room's badge counts what is
unread, search finds a Korean word, and the page shows when its socket is lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accounts.models import User
from chat import services
from chat.models import Room
from tests.accounts.factories import UserFactory
from tests.browser import in_thread, require_chromium

require_chromium()

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(os.environ.get("INSIGHTSTOCK_ARTIFACTS", ".var/artifacts")) / "chat"
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror=alert(1)> 삼성전자가 급등'


def sign_in(page, server, username: str, next_path: str) -> None:  # noqa: ANN001
    page.goto(f"{server.http_url}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.http_url}{next_path}")


def test_two_people_chat_live_with_replies_badges_search_and_a_lost_connection(
    asgi_server, browser_pages
):
    def two_members_in_two_rooms() -> tuple[int, int]:
        alice = UserFactory(username="alice")
        bob = UserFactory(username="bob")
        general = services.room_create(creator=alice, name="General")
        side = services.room_create(creator=bob, name="반도체 토론")
        services.room_join(room=general, user=bob)
        services.room_join(room=side, user=alice)
        services.message_send(room=general, sender=bob, content="Earlier: HBM earnings tomorrow")
        return general.pk, side.pk

    general_id, side_id = in_thread(two_members_in_two_rooms)
    server = asgi_server()
    alice, bob = browser_pages(), browser_pages(width=390, height=844)  # bob is on a phone
    sign_in(alice, server, "alice", f"/chat/{general_id}/")
    sign_in(bob, server, "bob", f"/chat/{general_id}/")
    for page in (alice, bob):
        expect(page.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)
        expect(page.get_by_test_id("messages")).to_contain_text("HBM earnings tomorrow")

    alice.get_by_label("Message", exact=True).fill(HOSTILE)
    alice.get_by_test_id("send").click()
    hostile = bob.get_by_test_id("messages").locator(".chat-message").last
    expect(hostile.locator(".chat-text")).to_have_text(HOSTILE, timeout=10_000)  # live, as text
    assert bob.title() != "pwned" and bob.locator("#chat-messages img").count() == 0

    hostile.get_by_role("button", name="Reply").click()
    bob.get_by_label("Message", exact=True).fill("정말요? 주가는 어디까지?")
    bob.get_by_label("Message", exact=True).press("Enter")
    reply = alice.get_by_test_id("messages").locator(".chat-message").last
    expect(reply.locator(".chat-text")).to_have_text("정말요? 주가는 어디까지?", timeout=10_000)
    expect(reply.locator(".reply-quote")).to_contain_text("삼성전자가 급등")

    # While Bob is in another room, Alice's new message waits for one reader; when he comes
    # back and reads it, her count goes.
    bob.goto(f"{server.http_url}/chat/{side_id}/")
    expect(bob.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)
    alice.get_by_label("Message", exact=True).fill("다들 읽으셨나요?")
    alice.get_by_test_id("send").click()
    waiting = alice.locator(".chat-message.own").last.locator(".chat-unread")
    expect(waiting).to_have_text("1", timeout=10_000)
    bob.goto(f"{server.http_url}/chat/{general_id}/")
    expect(bob.get_by_test_id("messages")).to_contain_text("다들 읽으셨나요?")
    expect(waiting).to_have_count(0, timeout=10_000)

    def bob_writes_in_the_other_room() -> None:
        sender = User.objects.get(username="bob")
        services.message_send(room=Room.objects.get(pk=side_id), sender=sender, content="새 소식")

    in_thread(bob_writes_in_the_other_room)
    badge = alice.get_by_test_id("room-list").locator(f'li[data-room-id="{side_id}"] .unread-badge')
    expect(badge).to_have_text("1", timeout=10_000)

    alice.get_by_label("Search messages").fill("삼성")
    alice.get_by_role("button", name="Search").click()
    result = alice.get_by_test_id("search-results").locator("li").first
    expect(result.locator("mark")).to_have_text("삼성")
    expect(result).to_contain_text("General")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=SCREENSHOTS / "chat-desktop.png", full_page=True)
    bob.screenshot(path=SCREENSHOTS / "chat-phone.png", full_page=True)

    server.stop()  # the server goes away: the page says so and tries again
    expect(alice.get_by_test_id("chat-status")).to_contain_text("reconnecting", timeout=15_000)
