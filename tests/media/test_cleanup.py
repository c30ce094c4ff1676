"""The weekly clean-up (M6): images no declared reference has used for 30 days go, files and
all; referenced ones stay; `media_cleanup --dry-run` lists without deleting."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from chat import services as chat_services
from media import references, services
from media.models import Image, ImageBlob
from pipelines.registry import JOBS
from tests.accounts.factories import UserFactory
from tests.media import corpus
from tests.media.test_api import files_in

pytestmark = pytest.mark.django_db


def ready_image(owner, sample: corpus.Sample) -> Image:  # noqa: ANN001
    file = SimpleUploadedFile(sample.filename, sample.data)
    image, _ = services.image_upload(owner=owner, source=file, size_bytes=file.size)
    services.blob_process(blob_id=image.blob_id)
    return Image.objects.select_related("blob").get(pk=image.pk)


def test_the_job_is_weekly_on_sunday_at_two_on_the_cleanup_branch():
    cleanup = JOBS["media.cleanup_unused"]
    assert (cleanup.branch, cleanup.schedule.cron) == ("cleanup", "0 2 * * 0")
    assert JOBS["media.process_pending"].branch == "image"


def test_unused_images_go_after_30_days_and_used_ones_stay(media_root):  # noqa: F811
    alice = UserFactory()
    samples = corpus.good_samples()
    unused, avatar, attached = (ready_image(alice, samples[n]) for n in range(3))
    services.avatar_set(user=alice, image=avatar)
    room = chat_services.room_create(creator=alice, name="r")
    chat_services.message_send(room=room, sender=alice, content="look", image_id=attached.pk)
    now = timezone.now()

    assert services.images_cleanup(now=now) == []  # unused starts its 30 days now
    listed = io.StringIO()
    call_command("media_cleanup", "--dry-run", stdout=listed)
    assert "would delete 0 images" in listed.getvalue()

    later = now + timedelta(days=31)
    dry = services.images_cleanup(now=later, dry_run=True)
    assert [image.pk for image in dry] == [unused.pk] and Image.objects.count() == 3
    deleted = services.images_cleanup(now=later)

    assert [image.pk for image in deleted] == [unused.pk]
    assert set(Image.objects.values_list("pk", flat=True)) == {avatar.pk, attached.pk}
    assert ImageBlob.objects.count() == 2
    stored = {str(path) for path in files_in(media_root)}
    assert not any(unused.blob.sha256 in path for path in stored)
    assert any(avatar.blob.sha256 in path for path in stored)


def test_an_image_used_again_starts_its_30_days_afresh(media_root):  # noqa: F811
    alice = UserFactory()
    image = ready_image(alice, corpus.good_samples()[0])
    now = timezone.now()
    services.images_cleanup(now=now - timedelta(days=40))  # unused since 40 days ago
    services.avatar_set(user=alice, image=image)
    services.images_cleanup(now=now)  # referenced: its mark is cleared
    services.avatar_set(user=alice, image=None)
    assert services.images_cleanup(now=now + timedelta(days=1)) == []
    assert Image.objects.filter(pk=image.pk).exists()


def test_references_are_declared_by_the_apps_and_checked():
    fields = {f"{f.model._meta.label}.{f.name}" for f in references.image_reference_fields()}
    assert fields == {"media.Avatar.image", "chat.Message.image"}
    assert references.undeclared_image_references() == []
