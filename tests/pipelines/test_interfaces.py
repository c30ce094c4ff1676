"""Staff faces of the catalogue: dashboard, live websocket, API, admin, manage.py command."""

from __future__ import annotations

from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.services import token_pair_issue
from config.asgi import application
from pipelines import services
from pipelines.models import CatalogueEntry, JobRun
from pipelines.registry import JOBS
from tests.accounts.factories import UserFactory

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair_issue(user=user).access}")
    return client


# --- dashboard ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_lists_every_job_by_branch_for_staff(client, staff):
    client.force_login(staff)

    response = client.get("/ops/pipelines/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-branch="cleanup"' in page
    assert 'data-job="pipelines.prune_runs"' in page
    assert "cron 30 2 * * 0 (Asia/Seoul)" in page


@pytest.mark.django_db
def test_dashboard_is_refused_to_everyone_else(client, user):
    assert client.get("/ops/pipelines/").status_code == 302  # to sign in
    client.force_login(user)
    assert client.get("/ops/pipelines/").status_code == 403
    assert client.post("/ops/pipelines/jobs/pipelines.prune_runs/run/").status_code == 403
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_run_now_button_queues_a_run(client, staff):
    client.force_login(staff)

    response = client.post("/ops/pipelines/jobs/pipelines.prune_runs/run/", follow=True)

    assert response.status_code == 200
    run = JobRun.objects.get()
    assert (run.job, run.trigger, run.status) == ("pipelines.prune_runs", "manual", "queued")


@pytest.mark.django_db
def test_run_now_of_an_unknown_job_is_404(client, staff):
    client.force_login(staff)

    assert client.post("/ops/pipelines/jobs/no.such/run/").status_code == 404
    assert client.post("/ops/pipelines/branches/nowhere/run/").status_code == 404


# --- websocket ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_dashboard_socket_streams_run_progress_to_staff(staff):
    communicator = WebsocketCommunicator(application, "/ws/pipelines/", headers=HEADERS)
    communicator.scope["user"] = staff
    connected, _ = await communicator.connect()
    assert connected

    job = JOBS["pipelines.prune_runs"]
    run = await sync_to_async(services.job_run_create)(job=job, trigger="manual")
    await sync_to_async(services.job_run_progress)(run=run, percent=40, message="half")

    first = await communicator.receive_json_from(timeout=5)
    second = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "run" and first["data"]["status"] == "queued"
    assert second["data"]["progress"] == 40 and second["data"]["message"] == "half"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_dashboard_socket_ignores_what_clients_send_even_deeply_nested_frames(staff):
    communicator = WebsocketCommunicator(application, "/ws/pipelines/", headers=HEADERS)
    communicator.scope["user"] = staff
    connected, _ = await communicator.connect()
    assert connected

    await communicator.send_to(text_data="[" * 2000 + "]" * 2000)
    await communicator.send_to(text_data="not json")
    job = JOBS["pipelines.prune_runs"]
    await sync_to_async(services.job_run_create)(job=job, trigger="manual")

    event = await communicator.receive_json_from(timeout=5)  # still open and in its groups
    assert event["type"] == "run" and event["data"]["status"] == "queued"
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_dashboard_socket_refuses_non_staff(user):
    communicator = WebsocketCommunicator(application, "/ws/pipelines/", headers=HEADERS)
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()

    assert connected  # accepted only to be closed with a code the client can read
    closed = await communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1008} or closed.get("code") == 1008


# --- API ---------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_api_lists_jobs_and_runs_and_runs_now_for_staff(staff):
    api = _api(staff)

    jobs = api.get("/api/v1/pipelines/jobs/")
    queued = api.post("/api/v1/pipelines/jobs/pipelines.prune_runs/run/")
    runs = api.get("/api/v1/pipelines/runs/?job=pipelines.prune_runs&status=queued")

    assert jobs.status_code == 200
    prune = next(j for j in jobs.json() if j["name"] == "pipelines.prune_runs")
    assert prune["branch"] == "cleanup" and prune["enabled"] is True
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    assert runs.json()["count"] == 1


@pytest.mark.django_db
def test_api_is_staff_only_and_validates_filters(user, staff):
    assert _api(user).get("/api/v1/pipelines/jobs/").status_code == 403
    assert APIClient().get("/api/v1/pipelines/runs/").status_code == 401
    assert _api(staff).post("/api/v1/pipelines/jobs/no.such/run/").status_code == 404
    bad = _api(staff).get("/api/v1/pipelines/runs/?status=exploded")
    assert bad.status_code == 400 and "status" in bad.json()


# --- admin -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_shows_the_catalogue_and_read_only_runs(client, staff):
    client.force_login(staff)
    JobRun.objects.create(job="pipelines.prune_runs", branch="cleanup", trigger="manual")

    catalogue = client.get("/admin/pipelines/catalogueentry/")
    runs = client.get("/admin/pipelines/jobrun/?status__exact=queued")

    assert catalogue.status_code == 200 and "pipelines.prune_runs" in catalogue.content.decode()
    assert runs.status_code == 200 and "pipelines.prune_runs" in runs.content.decode()
    assert client.get("/admin/pipelines/jobrun/add/").status_code == 403


@pytest.mark.django_db
def test_admin_reset_action_restores_the_codes_values(client, staff):
    client.force_login(staff)
    entry = CatalogueEntry.objects.get(name="pipelines.prune_runs")
    entry.periodic_task.enabled = False
    entry.periodic_task.save()

    client.post(
        "/admin/pipelines/catalogueentry/",
        {"action": "reset_to_code", "_selected_action": [entry.pk]},
    )

    entry.periodic_task.refresh_from_db()
    assert entry.periodic_task.enabled is True


# --- manage.py pipelines -----------------------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command("pipelines", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_lists_syncs_and_shows_status():
    assert "pipelines.prune_runs" in _command("list")
    assert "Synced" in _command("sync")
    JobRun.objects.create(job="pipelines.prune_runs", branch="cleanup", trigger="manual")
    assert "pipelines.prune_runs" in _command("status")


@pytest.mark.django_db
def test_command_refuses_an_unknown_job():
    with pytest.raises(CommandError, match="No job named"):
        _command("run", "no.such")


@pytest.mark.django_db(transaction=True)
def test_run_now_with_the_broker_unreachable_records_a_failed_run_not_a_500(
    client, staff, monkeypatch
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(JOBS["pipelines.prune_runs"].task, "apply_async", broker_down)
    client.force_login(staff)

    response = client.post("/ops/pipelines/jobs/pipelines.prune_runs/run/")

    assert response.status_code == 302
    run = JobRun.objects.get()
    assert run.status == "failed"
    assert run.error.startswith("could not queue: Error 111")
