"""C4: route-level caching, per user, never one user's private response for another."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.services import token_pair_issue
from tests.accounts.factories import UserFactory
from tests.cachekit.testapp.views import RENDERS

# Transactional: a fill is skipped while the open transaction has uncommitted tracked writes, and a
# plain django_db test never commits the users it creates.
pytestmark = pytest.mark.django_db(transaction=True)

WHOAMI = "/api/v1/test/whoami/"


@pytest.fixture(autouse=True)
def _test_urls(settings):
    settings.ROOT_URLCONF = "tests.cachekit.testapp.urls"


def _bearer(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=user).access}")
    return client


def test_api_responses_are_cached_per_user():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    as_alice, as_bob = _bearer(alice), _bearer(bob)

    first = as_alice.get(WHOAMI).json()
    again = as_alice.get(WHOAMI).json()
    for_bob = as_bob.get(WHOAMI)

    assert first == again == {"username": "alice", "render": 1}
    assert for_bob.json() == {"username": "bob", "render": 2}
    assert "Authorization" in for_bob["Vary"]
    assert "private" in for_bob["Cache-Control"]


def test_cached_api_response_still_needs_authentication():
    alice = UserFactory(username="alice")
    _bearer(alice).get(WHOAMI)

    response = APIClient().get(WHOAMI)

    assert response.status_code == 401


def test_cached_api_response_is_rendered_per_accept_header():
    client = _bearer(UserFactory())
    client.get(WHOAMI)

    browsable = client.get(WHOAMI, HTTP_ACCEPT="text/html")

    assert browsable["Content-Type"].startswith("text/html")


def test_pages_are_cached_per_user_and_per_csrf_cookie(client):
    alice = UserFactory(username="alice")
    client.cookies["csrftoken"] = "a" * 32
    anonymous_first = client.get("/test/greeting/").content
    anonymous_again = client.get("/test/greeting/").content
    client.force_login(alice)
    signed_in = client.get("/test/greeting/").content

    assert anonymous_first == anonymous_again == b"hello guest #1"
    assert signed_in == b"hello alice #2"


def test_error_responses_are_not_cached(client):
    client.get("/test/missing/")
    client.get("/test/missing/")

    assert RENDERS["count"] == 2


def test_responses_that_set_cookies_are_not_cached(client):
    client.cookies["csrftoken"] = "c" * 32
    client.get("/test/cookie/")
    client.get("/test/cookie/")

    assert RENDERS["count"] == 2


def test_a_page_for_a_browser_without_csrf_cookie_is_never_stored(client):
    """Its CSRF token belongs to the secret in the cookie this response sets: another cookie-less
    visitor must get a token of their own."""
    first = APIClient(enforce_csrf_checks=True).get("/test/form/")
    second = APIClient(enforce_csrf_checks=True).get("/test/form/")

    assert RENDERS["count"] == 2
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_a_page_is_cached_per_csrf_cookie(client):
    client.cookies["csrftoken"] = "d" * 32
    client.get("/test/form/")
    client.get("/test/form/")
    other_browser = APIClient()
    other_browser.cookies["csrftoken"] = "e" * 32
    other_browser.get("/test/form/")

    assert RENDERS["count"] == 2


def test_a_page_that_showed_flash_messages_is_not_stored(client):
    client.cookies["csrftoken"] = "f" * 32
    client.get("/test/add-message/")

    with_message = client.get("/test/form/").content.decode()
    after = client.get("/test/form/").content.decode()

    assert "saved!" in with_message
    assert "saved!" not in after
    assert RENDERS["count"] == 2
