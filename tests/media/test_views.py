"""The /media/ page: signed-in only, upload with messages, errors shown on the form, avatars."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from media import services
from media.models import Avatar, Image
from tests.accounts.factories import UserFactory
from tests.media import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):  # noqa: ANN001, ANN201 - the same client, reading the English pages
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/media/").status_code == 302


def test_upload_then_again_then_a_bad_file(client, media_root):  # noqa: F811
    user = UserFactory()
    client.force_login(user)
    sample = corpus.jpeg_with_metadata()

    first = client.post("/media/", {"file": SimpleUploadedFile("phone.jpg", sample)}, follow=True)
    assert "Uploaded: it is being processed." in first.content.decode()
    assert 'data-testid="processing"' in first.content.decode()
    again = client.post("/media/", {"file": SimpleUploadedFile("phone.jpg", sample)}, follow=True)
    assert "You had uploaded this image already." in again.content.decode()
    assert Image.objects.count() == 1

    bad = client.post("/media/", {"file": SimpleUploadedFile("x.jpg", corpus.executable())})
    assert bad.status_code == 400
    assert 'class="field-error"' in bad.content.decode()
    assert Image.objects.count() == 1


def test_a_ready_image_can_become_the_avatar(client, media_root):  # noqa: F811
    user = UserFactory()
    client.force_login(user)
    file = SimpleUploadedFile("me.jpg", corpus.jpeg_oriented(6))
    image, _ = services.image_upload(owner=user, source=file, size_bytes=file.size, name="me.jpg")
    services.blob_process(blob_id=image.blob_id)

    page = client.get("/media/").content.decode()
    assert "Use as avatar" in page and "<img" in page
    client.post("/media/avatar/", {"image": str(image.pk)})
    assert Avatar.objects.get(user=user).image_id == image.pk
    header = client.get("/news/").content.decode()  # shown in every page's header
    assert f'class="avatar" src="/media/i/{image.pk}/48x48.webp"' in header
    assert client.post("/media/avatar/", {"image": "not-a-uuid"}).status_code == 404
