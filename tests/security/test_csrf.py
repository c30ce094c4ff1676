"""Item 3 of the security review: every form posts a CSRF token, and a post without one is
refused; so is every API write made with a session cookie.

The forms are found, not listed: every page of the route table is rendered for a signed-in
user (alice, on her own objects; staff on staff pages; the admin as a superuser) and parsed."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory
from tests.news.factories import ArticleFactory
from tests.security.conftest import TwoUsers
from tests.security.routes import METHODS, ROUTES, Private, Staff, is_api, path_of

pytestmark = pytest.mark.django_db

# Every route a page's form posts to. A new form must be added here (and is then checked).
FORM_ROUTES = {
    "accounts/login/",
    "accounts/logout/",
    "i18n/setlang/",
    "portfolio/new/",
    "portfolio/<int:portfolio_id>/rename/",
    "portfolio/<int:portfolio_id>/delete/",
    "portfolio/<int:portfolio_id>/transactions/",
    "portfolio/<int:portfolio_id>/transactions/<int:transaction_id>/delete/",
    "portfolio/<int:portfolio_id>/import/",
    "media/",
    "media/avatar/",
    "ops/pipelines/jobs/<str:name>/run/",
    "ops/pipelines/branches/<str:branch>/run/",
}
# Cookie-less by design: they take credentials or a refresh token in the body, never a session.
API_WITHOUT_SESSION = {"api/v1/auth/token/", "api/v1/auth/token/refresh/", "api/v1/auth/logout/"}


class Forms(HTMLParser):
    """The POST forms of a page: their action and the names and values of their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._open = {"action": attributes.get("action") or "", "fields": {}}
            self.forms.append(self._open)
        elif (
            tag in ("input", "select", "textarea", "button")
            and self._open is not None
            and attributes.get("name")
            and attributes.get("type") != "file"
        ):
            self._open["fields"].setdefault(attributes["name"], attributes.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _ids(route: str, s: TwoUsers, article_id: int) -> dict[str, Any]:
    access = ROUTES[route]
    if isinstance(access, Private):
        return access.cases[0].owner_ids(s) if access.cases[0].owner_ids else access.cases[0].ids(s)
    if isinstance(access, Staff):
        return access.ids()
    return {"code": s.stock.code, "article_id": article_id, "image_id": s.image.pk,
            "size": "48x48", "file_name": "none.xml", "path": "images/none.webp"}  # fmt: skip


def _signed_in(user: Any, *, enforce_csrf: bool = False) -> Client:  # noqa: ANN401
    client = Client(enforce_csrf_checks=enforce_csrf, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def rendered_forms(two_users: TwoUsers) -> list[tuple[Any, str, dict[str, Any]]]:
    """(user, page, form) for every POST form on every page the route table knows."""
    s = two_users
    article = ArticleFactory(stocks=[s.stock])
    staff = UserFactory(is_staff=True, is_superuser=True)
    pages: list[tuple[Any, str]] = [
        (None, "/accounts/login/"),
        (None, "/admin/login/"),
        (staff, "/admin/"),
        (staff, "/admin/portfolio/portfolio/"),
    ]
    for route, access in ROUTES.items():
        if not is_api(route):
            pages.append((staff if isinstance(access, Staff) else s.alice,
                          path_of(route, _ids(route, s, article.pk))))  # fmt: skip
    found = []
    for user, path in pages:
        response = _signed_in(user).get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = Forms()
        parser.feed(response.content.decode())
        found += [(user, path, form) for form in parser.forms]
    return found


def test_every_form_posts_a_csrf_token_and_is_refused_without_it(rendered_forms):
    assert len(rendered_forms) > 10
    routes = set()
    for user, page, form in rendered_forms:
        action = (form["action"] or page).split("#")[0]
        assert "csrfmiddlewaretoken" in form["fields"], (page, action)
        fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}

        response = _signed_in(user, enforce_csrf=True).post(action, fields)

        assert response.status_code == 403, (page, action, response.status_code)
        assert b"CSRF" in response.content, (page, action)
        if not action.startswith("/admin/"):
            routes.add(resolve(action.split("?")[0]).route)
    assert routes == FORM_ROUTES


@pytest.mark.parametrize("route", [r for r in ROUTES if is_api(r) and r not in API_WITHOUT_SESSION])
def test_every_api_write_with_a_session_needs_the_csrf_token(two_users, route):
    s = two_users
    user = UserFactory(is_staff=True) if isinstance(ROUTES[route], Staff) else s.alice
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    path = path_of(route, _ids(route, s, 1))
    before = s.rows_of_alice()

    for method in METHODS[1:]:
        response = getattr(client, method)(path, {}, format="json")

        assert response.status_code in (403, 405), (method, response.content)
        if response.status_code == 403 and response["Content-Type"] == "application/json":
            assert "CSRF" in response.json()["detail"], method
    assert s.rows_of_alice() == before
