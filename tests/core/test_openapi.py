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


@pytest.fixture
def api_schema(client) -> dict:
    response = client.get("/api/schema/", headers={"accept": "application/vnd.oai.openapi+json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_every_operation_documents_its_error_answers(api_schema):
    """core.openapi.AutoSchema: 401 (a bad token) and 429 (the rate limit) everywhere, 404 where a
    path names an object, 400 and 415 where a body is sent; each error carries its `code`."""
    for path, method, operation in _operations(api_schema):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        assert {"401", "429"} <= responses.keys(), label
        for status, response in responses.items():
            if int(status) >= 400:  # every error names its code (core.api)
                body = response["content"]["application/json"]["schema"]
                for shape in body.get("anyOf", [body]):
                    assert "code" in shape["required"], (label, status)
        if "{" in path:
            assert "404" in responses, label
        if "requestBody" in operation:
            assert {"400", "415"} <= responses.keys(), label


def test_staff_only_operations_document_their_403(api_schema):
    for path, method, operation in _operations(api_schema):
        if path.startswith("/api/v1/pipelines/"):
            assert "403" in operation["responses"], f"{method.upper()} {path}"
    # A signed-in reader is never refused: no 403 on a read open to every user.
    assert "403" not in api_schema["paths"]["/api/v1/auth/me/"]["get"]["responses"]


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/chat/rooms/{room_id}/members/", "PaginatedMemberList"),
        ("/api/v1/media/images/", "PaginatedImageList"),
        ("/api/v1/portfolios/{portfolio_id}/transactions/", "PaginatedTransactionOutputList"),
    ],
)
def test_paginated_api_views_document_the_page_envelope(api_schema, path, component):
    """These views paginate by hand: the schema once said they answered a bare list."""
    operation = api_schema["paths"][path]["get"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{component}"}
    assert "page" in {parameter["name"] for parameter in operation["parameters"]}
    envelope = api_schema["components"]["schemas"][component]
    assert {"count", "next", "previous", "results"} <= envelope["properties"].keys()


def test_the_import_documents_both_of_its_refusals(api_schema):
    operation = api_schema["paths"]["/api/v1/portfolios/{portfolio_id}/transactions/import/"]
    responses = operation["post"]["responses"]
    created = responses["201"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "imported" in api_schema["components"]["schemas"][created]["properties"]
    refused = responses["400"]["content"]["application/json"]["schema"]["anyOf"]
    assert refused[0]["required"] == ["detail", "code", "errors"]  # row by row
    assert refused[1]["required"] == ["code"]  # the form itself: {field: [messages], "code": ...}


@pytest.mark.parametrize(
    "path", ["/api/v1/media/images/", "/api/v1/portfolios/{portfolio_id}/transactions/import/"]
)
def test_uploads_document_their_file_as_binary(api_schema, path):
    """An upload sends the file's bytes: the schema once said a URL string (a response's
    FileField), so a client generated from it could not upload at all."""
    body = api_schema["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]
    component = body["schema"]["$ref"].split("/")[-1]
    file_field = api_schema["components"]["schemas"][component]["properties"]["file"]
    assert file_field == {**file_field, "type": "string", "format": "binary"}


def test_no_input_field_is_named_code_or_detail(api_schema):
    """A 400 puts field errors and `code` side by side (core.api): a field named `code` would
    collide with it. Rename the field (e.g. `stock`) rather than change the error shape."""
    schemas = api_schema["components"]["schemas"]
    for path, method, operation in _operations(api_schema):
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for content in operation.get("requestBody", {}).get("content", {}).values():
            ref = content["schema"].get("$ref", "")
            names |= set(schemas.get(ref.rpartition("/")[2], {}).get("properties", {}))
        assert not names & {"code", "detail"}, f"{method.upper()} {path}"
