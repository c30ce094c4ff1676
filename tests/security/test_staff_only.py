"""Item 2 of the security review: staff-only pages, API, admin and socket refuse anonymous
visitors (sign in first) and other users (403), and serve staff."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from config.asgi import application
from pipelines import services as pipeline_services
from pipelines.models import JobRun
from pipelines.registry import JOBS
from tests.accounts.factories import UserFactory
from tests.chat.sockets import close_event
from tests.clients import api_client_for
from tests.security.routes import ROUTES, Staff, is_api, path_of

STAFF_ROUTES = [route for route, access in ROUTES.items() if isinstance(access, Staff)]


def _request(client, route: str):  # noqa: ANN001, ANN202
    access = ROUTES[route]
    assert isinstance(access, Staff)
    path = path_of(route, access.ids())
    return getattr(client, access.method)(path), path


def _page_client(user=None) -> Client:  # noqa: ANN001
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_the_staff_routes_are_the_ops_pages_and_the_pipelines_api():
    assert all(r.startswith(("ops/", "api/v1/pipelines/")) for r in STAFF_ROUTES)
    assert len(STAFF_ROUTES) == 6


@pytest.mark.django_db
@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_anonymous_visitors_are_sent_to_sign_in_and_queue_nothing(route):
    client = APIClient() if is_api(route) else _page_client()

    response, path = _request(client, route)

    if is_api(route):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next={path}"
    assert not JobRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_other_users_are_refused_with_403_and_queue_nothing(route):
    user = UserFactory()
    client = api_client_for(user) if is_api(route) else _page_client(user)

    response, _path = _request(client, route)

    assert response.status_code == 403
    assert not JobRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_staff_are_served(route):
    staff = UserFactory(is_staff=True)
    client = api_client_for(staff) if is_api(route) else _page_client(staff)

    response, _path = _request(client, route)

    if ROUTES[route].method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code in (202, 302)
        assert JobRun.objects.exists()


# --- the admin: every registered model ---------------------------------------------------------


def _admin_paths() -> list[str]:
    paths = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        paths += [
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[1]),
        ]
    return paths


@pytest.mark.django_db
def test_the_admin_sends_anonymous_visitors_and_other_users_to_its_sign_in():
    user = UserFactory(username="plain")
    paths = _admin_paths()
    assert len(paths) > 10

    for client in (_page_client(), _page_client(user)):
        for path in paths:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith("/admin/login/"), path


@pytest.mark.django_db
def test_the_admin_serves_staff_every_model_list():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = _page_client(staff)

    for path in _admin_paths():
        if path.endswith("/change/"):
            continue  # object 1 may not exist
        assert client.get(path).status_code == 200, path


# --- /ws/pipelines/, with the session cookie a browser sends ----------------------------------


def _session_cookie(user) -> bytes:  # noqa: ANN001
    client = _page_client(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"\
        .encode()  # fmt: skip


async def _socket(cookie: bytes | None) -> tuple[WebsocketCommunicator, bool]:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/pipelines/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["anonymous", "user"])
async def test_the_pipelines_socket_closes_for_anyone_but_staff(who):
    cookie = None
    if who == "user":
        cookie = await sync_to_async(_session_cookie)(await sync_to_async(UserFactory)())
    communicator, connected = await _socket(cookie)

    closed = await communicator.receive_output(timeout=5)

    assert connected  # accepted only to be closed with a code the client can read
    assert closed["type"] == "websocket.close" and closed["code"] == 1008
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_pipelines_socket_streams_to_staff():
    staff = await sync_to_async(UserFactory)(is_staff=True)
    communicator, connected = await _socket(await sync_to_async(_session_cookie)(staff))
    assert connected

    await sync_to_async(pipeline_services.job_run_create)(
        job=JOBS["pipelines.prune_runs"], trigger="manual"
    )

    assert (await communicator.receive_json_from(timeout=5))["type"] == "run"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "code", "reason"),
    [
        ("demoted", 1008, "Staff only"),
        ("deactivated", 1008, "Staff only"),
        ("signed out everywhere", 4401, "Signed out"),
    ],
)
async def test_an_open_pipelines_socket_closes_when_its_user_loses_staff_access(
    change, code, reason
):
    """The check at connect is not enough: a demoted member's (or a stolen session's) open
    dashboard must stop hearing runs at once, in every process."""
    staff = await sync_to_async(UserFactory)(is_staff=True)
    communicator, connected = await _socket(await sync_to_async(_session_cookie)(staff))
    assert connected

    def lose_access() -> None:
        if change == "demoted":
            staff.is_staff = False
            staff.save()
        elif change == "deactivated":
            staff.is_active = False
            staff.save(update_fields=["is_active"])
        else:
            account_services.user_sessions_revoke_all(user=staff)

    await sync_to_async(lose_access)()

    closed = await close_event(communicator)
    assert (closed["code"], closed["reason"]) == (code, reason)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_other_saves_of_a_staff_member_leave_their_pipelines_socket_open():
    staff = await sync_to_async(UserFactory)(is_staff=True)
    other = await sync_to_async(UserFactory)()
    communicator, connected = await _socket(await sync_to_async(_session_cookie)(staff))
    assert connected

    def unrelated_saves() -> None:
        staff.first_name = "Renamed"
        staff.save()
        other.is_active = False  # another user's access ends: not this socket's
        other.save()
        pipeline_services.job_run_create(job=JOBS["pipelines.prune_runs"], trigger="manual")

    await sync_to_async(unrelated_saves)()

    assert (await communicator.receive_json_from(timeout=5))["type"] == "run"
    await communicator.disconnect()
