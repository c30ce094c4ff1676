"""OpenAPI schema and docs (F6)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_lists_the_auth_endpoints_with_bearer_security(client):
    response = client.get("/api/schema/", headers={"accept": "application/vnd.oai.openapi+json"})

    assert response.status_code == 200
    schema = response.json()
    for path in ("token/", "token/refresh/", "logout/", "logout-all/"):
        assert f"/api/v1/auth/{path}" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_docs_page_loads_its_assets_locally(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    asset_urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert asset_urls
    assert not [url for url in asset_urls if url.startswith(("http://", "https://", "//"))]
