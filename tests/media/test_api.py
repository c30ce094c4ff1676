"""Uploads through the API (M1-M5, M7): every corpus image becomes upright WebP variants with no
metadata; every bad input is a 400 naming `file` that leaves no row and no file; the same bytes
are stored and processed once; sizes on demand; CDN URLs; privacy."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PillowImage
from rest_framework.test import APIClient

from chat import services as chat_services
from media import services
from media.models import Image, ImageBlob, ImageVariant
from tests.accounts.factories import UserFactory
from tests.clients import api_client_for
from tests.media import corpus
from tests.pipelines.conftest import worker  # noqa: F401 - a real Celery worker

IMAGES = "/api/v1/media/images/"


def files_in(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def upload(client: APIClient, sample: corpus.Sample):  # noqa: ANN201
    file = SimpleUploadedFile(sample.filename, sample.data, content_type=sample.content_type)
    return client.post(IMAGES, {"file": file}, format="multipart")


def processed(image_id: str) -> None:
    image = Image.objects.get(pk=image_id)
    services.blob_process(blob_id=image.blob_id)


@pytest.mark.django_db
@pytest.mark.parametrize("sample", corpus.good_samples(), ids=lambda s: s.name)
def test_every_good_image_becomes_webp_variants_fitted_and_without_metadata(sample, media_root):
    client = api_client_for(UserFactory())
    created = upload(client, sample)
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "processing" and created.json()["variants"] == {}

    processed(created.json()["id"])
    body = client.get(f"{IMAGES}{created.json()['id']}/").json()

    assert body["status"] == "ready"
    assert (body["width"], body["height"]) == sample.size  # all are within 1920x1080
    assert set(body["variants"]) == {"thumbnail", "preview", "full"}
    for name, box in (("thumbnail", (400, 300)), ("preview", (800, 800))):
        variant = body["variants"][name]
        assert variant["width"] <= box[0] and variant["height"] <= box[1]
    thumbnail = body["variants"]["thumbnail"]["url"]
    assert thumbnail.startswith("/media-files/images/")
    stored = media_root / thumbnail.removeprefix("/media-files/")
    with PillowImage.open(stored) as result:
        assert result.format == "WEBP"
        assert (
            not result.getexif() and "xmp" not in result.info and "icc_profile" not in result.info
        )
    assert not list((media_root / "uploads").glob("*"))  # the original, GPS and all, is gone


@pytest.mark.django_db
@pytest.mark.parametrize("sample", corpus.bad_samples(max_frames=100), ids=lambda s: s.name)
def test_every_bad_input_is_a_400_naming_file_leaving_nothing(sample, media_root):
    response = upload(api_client_for(UserFactory()), sample)
    assert response.status_code == 400, response.content
    assert response.json()["file"]
    assert not Image.objects.exists() and not ImageBlob.objects.exists()
    assert files_in(media_root) == []


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings, media_root):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1000
    sample = corpus.Sample("big", "big.jpg", "image/jpeg", corpus.oversized(1001))
    response = upload(api_client_for(UserFactory()), sample)
    assert response.status_code == 400 and response.json()["file"]
    assert not ImageBlob.objects.exists() and files_in(media_root) == []


@pytest.mark.django_db
def test_the_same_bytes_are_stored_and_processed_once(media_root):
    alice, bob = UserFactory(), UserFactory()
    sample = corpus.good_samples()[0]
    first = upload(api_client_for(alice), sample).json()
    processed(first["id"])
    blob = ImageBlob.objects.get()
    files_before = files_in(media_root)

    again = upload(api_client_for(alice), sample)
    other = upload(api_client_for(bob), sample)

    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert other.status_code == 201 and other.json()["id"] != first["id"]
    assert other.json()["status"] == "ready"  # nothing to wait for: processed already
    assert ImageBlob.objects.get() == blob and ImageVariant.objects.count() == 3
    assert files_in(media_root) == files_before  # nothing written again
    blob.refresh_from_db()
    assert services.blob_process(blob_id=blob.pk) == "ready"  # a repeated task does nothing
    assert files_in(media_root) == files_before


@pytest.mark.django_db
def test_another_users_image_is_a_404(media_root):
    created = upload(api_client_for(UserFactory()), corpus.good_samples()[0]).json()
    assert api_client_for(UserFactory()).get(f"{IMAGES}{created['id']}/").status_code == 404
    assert APIClient().get(f"{IMAGES}{created['id']}/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_sizes_on_demand_are_rendered_once_and_others_refused(client, media_root):
    created = upload(api_client_for(UserFactory()), corpus.good_samples()[0]).json()
    image_id = created["id"]
    assert client.get(f"/media/i/{image_id}/200x200.webp").status_code == 404  # not ready yet
    processed(image_id)

    first = client.get(f"/media/i/{image_id}/200x200.webp")
    assert first.status_code == 302
    assert first["Location"].startswith("/media-files/images/")
    served = client.get(first["Location"])
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    with PillowImage.open(io.BytesIO(b"".join(served.streaming_content))) as result:
        assert result.format == "WEBP" and max(result.size) <= 200
    again = client.get(f"/media/i/{image_id}/200x200.webp")
    assert again["Location"] == first["Location"]
    assert ImageVariant.objects.filter(name="200x200").count() == 1
    assert client.get(f"/media/i/{image_id}/123x45.webp").status_code == 404
    assert client.get(f"/media/i/{image_id}/9999x9999.webp").status_code == 404
    assert client.get("/media-files/../settings.py").status_code == 404


@pytest.mark.django_db
def test_variant_urls_go_through_the_cdn_when_set(settings, media_root):
    client = api_client_for(UserFactory())
    created = upload(client, corpus.good_samples()[0]).json()
    processed(created["id"])
    settings.MEDIA_URL = "https://cdn.example.com/media/"
    body = client.get(f"{IMAGES}{created['id']}/").json()
    assert body["variants"]["full"]["url"].startswith("https://cdn.example.com/media/images/")


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_processed_by_a_real_worker_on_the_image_queue(worker, media_root):  # noqa: F811
    worker()
    created = upload(api_client_for(user := UserFactory()), corpus.good_samples()[0]).json()
    deadline = time.monotonic() + 30
    while True:
        body = api_client_for(user).get(f"{IMAGES}{created['id']}/").json()
        if body["status"] != "processing":
            break
        assert time.monotonic() < deadline, "the upload was never processed"
        time.sleep(0.2)
    assert body["status"] == "ready" and body["variants"]["preview"]["url"]


@pytest.mark.django_db
def test_avatar_and_chat_images_take_only_ones_own_ready_images(media_root):
    alice, bob = UserFactory(), UserFactory()
    as_alice = api_client_for(alice)
    mine = upload(as_alice, corpus.good_samples()[0]).json()["id"]
    theirs = upload(api_client_for(bob), corpus.good_samples()[1]).json()["id"]
    assert as_alice.put("/api/v1/media/avatar/", {"image": mine}, format="json").status_code == 400
    processed(mine)
    processed(theirs)
    assert (
        as_alice.put("/api/v1/media/avatar/", {"image": theirs}, format="json").status_code == 400
    )
    chosen = as_alice.put("/api/v1/media/avatar/", {"image": mine}, format="json")
    assert chosen.status_code == 200 and chosen.json()["url"] == f"/media/i/{mine}/96x96.webp"

    room = chat_services.room_create(creator=alice, name="사진방")
    messages = f"/api/v1/chat/rooms/{room.pk}/messages/"
    sent = as_alice.post(messages, {"content": "", "image": mine}, format="json")
    assert sent.status_code == 201
    assert sent.json()["image"]["url"] == f"/media/i/{mine}/400x400.webp"
    refused = as_alice.post(messages, {"content": "x", "image": theirs}, format="json")
    assert refused.status_code == 400 and "image" in refused.json()


@pytest.mark.django_db
def test_uploads_are_rate_limited_per_user(settings, media_root):
    settings.MEDIA_UPLOADS_PER_MINUTE = 2
    client = api_client_for(UserFactory())
    samples = corpus.good_samples()
    codes = [upload(client, samples[n]).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    assert Image.objects.count() == 2
    assert client.get(IMAGES).status_code == 200  # reading is not counted
