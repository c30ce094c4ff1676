"""Item 1 of the security review: another user's objects, through every route that names one.

Bob asks for alice's portfolio, transactions, rooms, messages and images with every method; he
gets exactly what an id nobody has gets (404, never 403 nor the data) and nothing of alice's
changes. The same request of alice's is served, so the request names a real object and a
correct body: a 404 that only came from a bad request would prove nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.clients import api_client_for
from tests.security.conftest import SECRET, TwoUsers
from tests.security.routes import (
    METHODS,
    ROUTES,
    SOCKETS,
    Case,
    Own,
    Private,
    is_api,
    path_of,
    url_patterns,
)

pytestmark = pytest.mark.django_db

PRIVATE_CASES = [
    pytest.param(route, case, id=f"{route} {case.why or case.method}")
    for route, access in ROUTES.items()
    if isinstance(access, Private)
    for case in access.cases
]
OWN_ROUTES = [route for route, access in ROUTES.items() if isinstance(access, Own)]


def test_every_route_is_classified():
    """A new route must be added to tests/security/routes.py ROUTES with how to name another
    user's object through it, or why it has none."""
    served = list(url_patterns())

    assert sorted(set(served) - set(ROUTES)) == [], "unclassified routes: add them to ROUTES"
    assert sorted(set(ROUTES) - set(served)) == [], "ROUTES names routes that no longer exist"
    parameterised = {route for route in served if "<" in route}
    assert all(not isinstance(ROUTES[route], Own) for route in parameterised)


def test_every_socket_route_is_classified():
    from config.routing import websocket_urlpatterns

    assert [str(pattern.pattern) for pattern in websocket_urlpatterns] == list(SOCKETS)


def client_for(user: Any, route: str) -> Client | APIClient:  # noqa: ANN401
    if is_api(route):
        return api_client_for(user)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def send(
    client: Client | APIClient, route: str, method: str, path: str, case: Case, s: TwoUsers
) -> Any:  # noqa: ANN401
    body = case.body(s) if case.body else {}
    if method == "get":
        return client.get(path)
    if is_api(route):
        return getattr(client, method)(path, body, format="multipart" if case.multipart else "json")
    if method == "post":
        return client.post(path, body)
    return client.generic(method.upper(), path)


def assert_nothing_leaked(response: Any) -> None:  # noqa: ANN401
    assert SECRET.encode() not in response.content
    assert response.status_code < 500


@pytest.mark.parametrize(("route", "case"), PRIVATE_CASES)
def test_another_users_object_is_answered_as_a_missing_one_and_is_unchanged(two_users, route, case):
    s = two_users
    bob = client_for(s.bob, route)
    before = s.rows_of_alice()

    for method in METHODS:
        missing = send(bob, route, method, path_of(route, case.missing(s)), case, s)
        response = send(bob, route, method, path_of(route, case.ids(s)), case, s)

        assert_nothing_leaked(response)
        assert response.status_code not in (200, 201, 202, 204, 302), (method, response.content)
        if case.expected == 404:
            assert response.status_code == missing.status_code, (method, response.content)
            assert response.status_code != 403, method
            if is_api(route):
                assert response.content == missing.content, method
            if method == case.method:
                assert response.status_code == 404, response.content
        elif method == case.method:
            assert response.status_code == case.expected, response.content
    assert s.rows_of_alice() == before

    owner_path = path_of(route, (case.owner_ids or case.ids)(s))
    owner = send(client_for(s.alice, route), route, case.method, owner_path, case, s)
    assert owner.status_code < 400, (case.method, owner.content)


@pytest.mark.parametrize("route", OWN_ROUTES)
def test_routes_without_an_id_answer_only_the_requesters_data(two_users, route):
    access = ROUTES[route]
    assert isinstance(access, Own)
    path = path_of(route, {}) + access.query
    before = two_users.rows_of_alice()

    response = client_for(two_users.bob, route).get(path)

    assert_nothing_leaked(response)
    assert two_users.rows_of_alice() == before


def test_bobs_own_pages_show_his_data_so_the_leak_check_can_see_one(two_users):
    """The check above looks for alice's secret in bob's answers: make sure the same answers do
    show their owner's data (alice's own portfolio list names her portfolio)."""
    alice = client_for(two_users.alice, "api/")
    assert SECRET in alice.get("/api/v1/portfolios/").content.decode()
    assert SECRET in alice.get(f"/api/v1/chat/search/?q={SECRET}").content.decode()
    page = Client()
    page.force_login(two_users.alice)
    assert SECRET in page.get("/portfolio/").content.decode()
    assert SECRET in page.get("/media/").content.decode()


# --- ids inside a body: another user's object named in a field --------------------------------


def test_an_avatar_cannot_be_another_users_image(two_users):
    s = two_users
    before = s.rows_of_alice()
    api = api_client_for(s.bob).put("/api/v1/media/avatar/", {"image": str(s.image.pk)},
                                     format="json")  # fmt: skip
    page = client_for(s.bob, "media/avatar/").post("/media/avatar/", {"image": str(s.image.pk)})

    assert api.status_code == 400 and "image" in api.json()
    assert page.status_code == 404
    assert s.rows_of_alice() == before


def test_a_message_cannot_attach_another_users_image(two_users):
    s = two_users
    response = api_client_for(s.bob).post(
        f"/api/v1/chat/rooms/{s.public_room.pk}/messages/",
        {"content": "look", "image": str(s.image.pk)}, format="json",
    )  # fmt: skip

    assert response.status_code == 400 and "image" in response.json()
    assert not s.public_room.messages.filter(sender=s.bob).exists()


def test_search_in_another_users_private_room_is_404(two_users):
    s = two_users
    response = api_client_for(s.bob).get(
        f"/api/v1/chat/search/?q={SECRET}&room={s.private_room.pk}"
    )

    assert response.status_code == 404
    assert_nothing_leaked(response)
