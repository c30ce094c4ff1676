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


@pytest.mark.parametrize(
    "path",
    [
        "/media-files/images/a%00.webp",
        "/media-files/images/%00/x.webp",
        "/media-files/images/a%01b.webp",
    ],
)
def test_a_control_character_in_a_media_path_is_a_404_not_a_500(client, path: str):  # noqa: ANN001
    # Anonymous: /media-files/ is public. A NUL made the storage's open() raise ValueError.
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 404
    assert "There is no such file." in response.content.decode()


def test_a_control_character_in_a_resized_image_path_is_a_404(client):  # noqa: ANN001
    client.raise_request_exception = False
    image_id = "6f1c1c3e-8a53-4a4f-9d55-0c5c1d1a0b1e"
    assert client.get(f"/media/i/{image_id}/200x200%00.webp").status_code == 404
    assert client.get(f"/media/i/{image_id}%00/200x200.webp").status_code == 404
    assert client.get("/media-files/images/a%0A.webp").status_code == 404
