"""Item 6 of the security review: what tests/media does not already cover of the upload limits.

tests/media/test_api.py and test_processing.py cover the API's byte limit, decompression bombs
(pixels from the header, Pillow's own warning), frame counts, formats never parsed, truncated
files and the per-user upload rate. Here: the same limits through the page, the CSV import's
byte and row limits, that an upload's original bytes are never served back, and that a request
body over REQUEST_MAX_BODY_BYTES is refused before the server stores it."""

from __future__ import annotations

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from media import services as media_services
from media.models import Image, ImageBlob
from portfolio.models import Transaction
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.media import corpus
from tests.security.conftest import TwoUsers

CSV_ROW = "2024-03-04,buy,005930,1,70000,0,x\n"
CSV_HEADER = "date,type,stock,quantity,price,fee,note\n"


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("t.csv", text.encode(), content_type="text/csv")


def _page_client(user) -> Client:  # noqa: ANN001
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["bytes", "rows"])
@pytest.mark.parametrize("through", ["api", "page"])
def test_a_csv_import_over_its_limits_is_refused_and_imports_nothing(
    two_users: TwoUsers, settings, limit, through
):
    s = two_users
    settings.PORTFOLIO_IMPORT_MAX_ROWS = 3
    settings.PORTFOLIO_IMPORT_MAX_BYTES = len(CSV_HEADER + CSV_ROW * 3)
    text = CSV_HEADER + CSV_ROW * 4 if limit == "rows" else CSV_HEADER + CSV_ROW * 3 + "\n"
    if limit == "rows":
        settings.PORTFOLIO_IMPORT_MAX_BYTES = 10_000
    before = Transaction.objects.filter(portfolio=s.bob_portfolio).count()

    if through == "api":
        path = f"/api/v1/portfolios/{s.bob_portfolio.pk}/transactions/import/"
        response = api_client_for(s.bob).post(path, {"file": _csv(text)}, format="multipart")
    else:
        path = f"/portfolio/{s.bob_portfolio.pk}/import/"
        response = _page_client(s.bob).post(path, {"file": _csv(text)})

    assert response.status_code == 400
    assert Transaction.objects.filter(portfolio=s.bob_portfolio).count() == before
    within = CSV_HEADER + CSV_ROW * 3
    if through == "api":
        ok = api_client_for(s.bob).post(path, {"file": _csv(within)}, format="multipart")
    else:
        ok = _page_client(s.bob).post(path, {"file": _csv(within)})
    assert ok.status_code < 400  # the limits are inclusive: exactly at them is taken


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sample",
    [
        corpus.Sample("big", "big.jpg", "image/jpeg", corpus.oversized(2001)),
        *[s for s in corpus.bad_samples(max_frames=100) if s.name in ("png-bomb", "executable")],
    ],
    ids=lambda s: s.name,
)
def test_the_upload_page_refuses_what_the_api_refuses_and_stores_nothing(
    settings, media_root, sample
):
    settings.MEDIA_MAX_UPLOAD_BYTES = 2000 if sample.name == "big" else 15 * 1024 * 1024

    client = _page_client(UserFactory())
    file = SimpleUploadedFile(sample.filename, sample.data, content_type=sample.content_type)

    response = client.post("/media/", {"file": file})

    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not ImageBlob.objects.exists() and not Image.objects.exists()
    assert not media_root.exists() or not [p for p in media_root.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_an_uploads_original_bytes_are_never_served_only_its_webp_variants(two_users):
    """The bytes a user sent (a polyglot, a file with a script after its image data) stay
    private to the processing, which deletes them: only re-encoded WebP variants are served,
    marked nosniff."""
    sample = corpus.good_samples()[2]
    file = SimpleUploadedFile(sample.filename, sample.data, content_type=sample.content_type)
    image, _created = media_services.image_upload(
        owner=two_users.bob, source=file, size_bytes=len(sample.data), name=sample.filename
    )
    blob = ImageBlob.objects.get(pk=image.blob_id)
    client = Client()

    assert blob.original_path
    assert client.get(f"/media-files/{blob.original_path}").status_code == 404
    media_services.blob_process(blob_id=blob.pk)
    variant = client.get(f"/media-files/{blob.variants.first().path}")

    assert variant.status_code == 200
    assert variant["Content-Type"] == "image/webp"
    assert variant["X-Content-Type-Options"] == "nosniff"


def _raw_request(port: int, head: str, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        return connection.recv(65536)


@pytest.mark.parametrize("path", ["/media/", "/api/v1/media/images/", "/accounts/login/"])
def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(asgi_server, path):
    """Django's ASGI handler spools a whole body to a temporary file before any view or upload
    limit runs: without a limit in front of it, one request of 10 GB fills the disk."""
    server = asgi_server()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
            f"boundary=x\r\nContent-Length: {10**10}\r\n\r\n")  # fmt: skip

    answer = _raw_request(server.port, head, b"--x\r\n")

    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_chunked_body_over_the_limit_is_cut_off(asgi_server, settings):
    settings.REQUEST_MAX_BODY_BYTES = 100_000
    server = asgi_server()
    head = ("POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            "application/json\r\nTransfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    chunk = b"%x\r\n%s\r\n" % (50_000, b"x" * 50_000)

    answer = _raw_request(server.port, head, chunk * 3)

    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_body_within_the_limit_is_served(asgi_server, settings):
    settings.REQUEST_MAX_BODY_BYTES = 100_000
    server = asgi_server()
    body = b'{"username": "nobody", "password": "wrong"}'
    head = (f"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
            f"application/json\r\nContent-Length: {len(body)}\r\n\r\n")  # fmt: skip

    assert _raw_request(server.port, head, body).startswith(b"HTTP/1.1 401 ")
