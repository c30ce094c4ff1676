"""Session sign-in pages: login, logout, flash messages, rate limit."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"


def test_login_page_renders_in_korean_by_default(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert "로그인" in response.content.decode()


def test_login_signs_in_and_greets_the_user(client, user):
    response = client.post(
        LOGIN_URL, {"username": user.username, "password": PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/"
    page = response.content.decode()
    assert f'data-testid="whoami">{user.username}<' in page
    assert "다시 오신 것을 환영합니다" in page


def test_login_keeps_the_next_page(client, user):
    response = client.post(
        f"{LOGIN_URL}?next=/api/docs/",
        {"username": user.username, "password": PASSWORD, "next": "/api/docs/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


def test_login_refuses_offsite_next(client, user):
    response = client.post(
        LOGIN_URL,
        {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/"


def test_wrong_password_shows_the_form_again_with_an_error(client, user):
    response = client.post(LOGIN_URL, {"username": user.username, "password": "nope"})

    assert response.status_code == 200
    assert '<ul class="errors"' in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=3)
def test_login_page_is_rate_limited_per_username(client, user, fresh_rate_window):
    # from three different addresses: only the per-username count can refuse the fourth
    for last_octet in range(1, 4):
        client.post(
            LOGIN_URL,
            {"username": user.username, "password": "nope"},
            REMOTE_ADDR=f"10.0.0.{last_octet}",
        )

    # even the right password is refused while the window is closed
    response = client.post(
        LOGIN_URL, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "로그인 시도가 너무 많습니다" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_signs_out_with_a_message(client, user):
    client.force_login(user)

    response = client.post(LOGOUT_URL, follow=True)

    assert "_auth_user_id" not in client.session
    assert "로그아웃되었습니다" in response.content.decode()


def test_logout_by_get_is_refused(client, user):
    client.force_login(user)

    response = client.get(LOGOUT_URL)

    assert response.status_code == 405
    assert "_auth_user_id" in client.session


def test_page_escapes_user_controlled_text(client, db):
    from tests.accounts.factories import UserFactory

    evil = UserFactory(username="<script>x</script>")
    client.force_login(evil)

    page = client.get("/").content.decode()

    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_admin_is_for_staff_only(client, user):
    client.force_login(user)
    assert client.get("/admin/").status_code == 302  # to the admin login

    user.is_staff = True
    user.is_superuser = True
    user.save()
    assert client.get("/admin/").status_code == 200


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=2)
def test_look_alike_usernames_share_one_bucket(client, user, fresh_rate_window):
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in user.username)
    client.post(LOGIN_URL, {"username": fullwidth, "password": "x"}, REMOTE_ADDR="10.0.1.1")
    client.post(
        LOGIN_URL, {"username": user.username.upper(), "password": "x"}, REMOTE_ADDR="10.0.1.2"
    )

    response = client.post(
        LOGIN_URL, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.1.3"
    )

    assert response.status_code == 429


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=2)
def test_ipv6_clients_are_counted_per_64_prefix(client, db, fresh_rate_window):
    for host in ("1", "2"):
        client.post(
            LOGIN_URL,
            {"username": f"u{host}", "password": "x"},
            REMOTE_ADDR=f"2001:db8:1:2::{host}",
        )

    same_prefix = client.post(
        LOGIN_URL, {"username": "u3", "password": "x"}, REMOTE_ADDR="2001:db8:1:2::ffff"
    )
    other_prefix = client.post(
        LOGIN_URL, {"username": "u4", "password": "x"}, REMOTE_ADDR="2001:db8:1:3::1"
    )

    assert same_prefix.status_code == 429
    assert other_prefix.status_code == 200


@override_settings(RATE_LIMIT_LOGIN_PER_MINUTE=2)
def test_admin_login_is_rate_limited_too(client, user, fresh_rate_window):
    user.is_staff = True
    user.save()
    for last_octet in (1, 2):
        client.post(
            "/admin/login/",
            {"username": user.username, "password": "nope"},
            REMOTE_ADDR=f"10.0.2.{last_octet}",
        )

    response = client.post(
        "/admin/login/", {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="10.0.2.9"
    )

    assert response.status_code == 429
    assert "Retry-After" in response
    assert "_auth_user_id" not in client.session
