"""Journey 1: a visitor on the market page signs in through the login page (a wrong password
first), lands back where they were, and signs out."""

from __future__ import annotations

import re

import pytest

from tests.journeys.conftest import DEMO_PASSWORDS, expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in(demo_site, person, look):
    page = person()
    page.goto(f"{demo_site.http_url}/")
    look(page, "market-signed-out")

    page.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    look(page, "login")

    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errors[role=alert]")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("demo")  # kept, only the password goes
    look(page, "login-refused")

    page.get_by_label("Password").fill(DEMO_PASSWORDS["demo"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{demo_site.http_url}/")
    expect(page.get_by_test_id("whoami")).to_have_text("demo")
    look(page, "market-signed-in")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("whoami")).to_have_count(0)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
