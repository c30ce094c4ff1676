"""Journey 4: two people, each in their own browser: the demo investor opens a public room on
/chat/, the staff member finds it among the public rooms, joins, and they talk live, with a
reply that quotes its message."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import expect, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

FIRST = "오늘 반도체 업종이 강하네요"


def test_chat(demo_site, person, look):
    demo, staff = person(), person()
    sign_in(demo, demo_site, "demo", "/chat/")
    expect(demo.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)
    expect(demo.get_by_test_id("messages").locator(".chat-message").first).to_be_visible()
    look(demo, "chat-demo")

    demo.get_by_label("New public room").fill("저녁 시황")
    demo.get_by_role("button", name="Create").click()
    expect(demo.locator("#room-title")).to_have_text("저녁 시황")
    expect(demo.get_by_test_id("room-list").locator("li.active")).to_contain_text("저녁 시황")
    room_path = demo.url.removeprefix(demo_site.http_url)
    expect(demo.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)

    sign_in(staff, demo_site, "staff", "/chat/")
    staff.locator(".chat-side").get_by_role("link", name="저녁 시황").click()
    assert staff.url.endswith(room_path)
    expect(staff.get_by_test_id("join")).to_be_visible()
    look(staff, "room-before-joining")
    staff.get_by_test_id("join").click()
    expect(staff.get_by_test_id("join")).to_have_count(0)
    expect(staff.get_by_test_id("chat-status")).to_have_text("live", timeout=15_000)

    staff.get_by_label("Message", exact=True).fill(FIRST)
    staff.get_by_test_id("send").click()
    received = demo.get_by_test_id("messages").locator(".chat-message").last
    expect(received.locator(".chat-text")).to_have_text(FIRST, timeout=10_000)
    expect(received.locator(".chat-sender")).to_have_text("staff")

    received.get_by_role("button", name="Reply").click()
    demo.get_by_label("Message", exact=True).fill("HBM 덕분이죠")
    demo.get_by_label("Message", exact=True).press("Enter")
    reply = staff.get_by_test_id("messages").locator(".chat-message").last
    expect(reply.locator(".chat-text")).to_have_text("HBM 덕분이죠", timeout=10_000)
    expect(reply.locator(".reply-quote")).to_contain_text("반도체 업종")
    look(demo, "room-demo")
    look(staff, "room-staff")
