"""Journey 6: the staff member signs in, goes to Pipelines from the menu, runs the price
collection now, and watches the run go to succeeded over the live socket, with a real Celery
worker on the real broker doing the work."""

from __future__ import annotations

import pytest

from pipelines.models import JobRun
from tests.browser import in_thread
from tests.journeys.conftest import expect, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

JOB = "stocks.collect_prices"


def test_pipelines(demo_site, running_worker, person, look):
    page = person()
    sign_in(page, demo_site, "staff", "/")
    page.get_by_role("link", name="Pipelines").click()
    expect(page).to_have_url(f"{demo_site.http_url}/ops/pipelines/")
    expect(page.get_by_test_id("live-state")).to_have_text("● live", timeout=15_000)
    look(page, "pipelines")

    page.get_by_test_id(f"run-{JOB}").click()
    expect(page.get_by_test_id("live-state")).to_have_text("● live", timeout=15_000)
    status = page.get_by_test_id(f"status-{JOB}").locator(".badge")
    expect(status).to_have_text("succeeded", timeout=30_000)  # live: no reload after the click
    run = in_thread(lambda: JobRun.objects.filter(job=JOB).latest("queued_at"))
    assert (run.trigger, run.status) == ("manual", "succeeded")
    row = page.locator(f'#runs tr[data-run="{run.pk}"]')
    expect(row).to_contain_text(JOB)
    expect(row.locator(".badge")).to_have_text("succeeded")
    look(page, "pipelines-run-finished")
