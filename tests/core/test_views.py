"""Pages and error responses that belong to no domain."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_site(client):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "InsightStock" in page
    assert 'href="/accounts/login/' in page


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/", headers={"accept-language": "en"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_page_is_a_friendly_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "페이지를 찾을 수 없습니다" in response.content.decode()


def test_static_files_are_served_by_the_app(client):
    response = client.get("/static/css/site.css")

    assert response.status_code == 200


def test_security_headers_are_set(client):
    response = client.get("/")

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
