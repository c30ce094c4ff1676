"""Writes of the media app: uploads (M3, M7), their processing into variants (M1, M2), sizes on
demand (M4), avatars, and the clean-up of unused images (M6).

Files go through Django's storage API (`default_storage`), so any django-storages backend works.
A file is written before its row and removed again if the row cannot be written, so a failure
leaves neither behind.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from media import processing
from media.models import Avatar, BlobStatus, Image, ImageBlob, ImageVariant
from media.references import is_referenced
from media.selectors import blob_id_for_hash

logger = logging.getLogger(__name__)

HASH_CHUNK_BYTES = 1024 * 1024


def _sha256(source: BinaryIO) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    for chunk in iter(lambda: source.read(HASH_CHUNK_BYTES), b""):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def _storage_delete(*paths: str) -> None:
    for path in paths:
        if path:
            try:
                default_storage.delete(path)
            except OSError:  # gone already, or the backend is down: logged, the row goes anyway
                logger.warning("media: could not delete %s", path, exc_info=True)


def variant_path(blob: ImageBlob, name: str) -> str:
    """Where a variant's file lives: by content, so its URL never changes and may be cached
    for ever."""
    return f"images/{blob.sha256[:2]}/{blob.sha256}/{name}.webp"


def image_upload(
    *, owner: User, source: BinaryIO, size_bytes: int, name: str = ""
) -> tuple[Image, bool]:
    """Store an upload of ``owner``'s, or reuse what the same bytes gave before (M3).

    Refused with ValidationError({"file": ...}) — nothing stored — when it is empty, too large,
    not an image of an allowed format, truncated, a decompression bomb or has too many frames
    (M7). A new content is queued for processing on the image branch and starts as
    `processing`; the same bytes uploaded again reuse the stored blob and its variants, without
    reading or processing them again; the same user uploading them again gets the same image.
    Returns the image and whether it is new."""
    if size_bytes > settings.MEDIA_MAX_UPLOAD_BYTES or size_bytes <= 0:
        # Checked before hashing: a huge body is not even read.
        raise ValidationError({"file": _reject_message(size_bytes)})
    sha256 = _sha256(source)
    blob = ImageBlob.objects.filter(pk=blob_id_for_hash(sha256)).first()
    created_path = ""
    if blob is None:
        try:
            facts = processing.image_inspect(
                source, size_bytes=size_bytes, allowed_formats=settings.MEDIA_ALLOWED_FORMATS,
                max_bytes=settings.MEDIA_MAX_UPLOAD_BYTES, max_pixels=settings.MEDIA_MAX_PIXELS,
                max_frames=settings.MEDIA_MAX_FRAMES,
            )  # fmt: skip
        except processing.ImageRejected as exc:
            raise ValidationError({"file": [exc.message]}, code=exc.code) from exc
        created_path = default_storage.save(f"uploads/{sha256}", source)
    try:
        with transaction.atomic():
            if blob is None:
                blob, created = ImageBlob.objects.get_or_create(
                    sha256=sha256,
                    defaults={"source_format": facts.format, "source_bytes": size_bytes,
                              "original_path": created_path},
                )  # fmt: skip
                if created:
                    blob_id = blob.pk
                    transaction.on_commit(lambda: _queue_processing(blob_id))
                    created_path = ""  # the blob owns it now
            image, created = Image.objects.get_or_create(
                owner=owner, blob=blob,
                defaults={"original_name": name[:255], "unreferenced_since": timezone.now()},
            )  # fmt: skip
    finally:
        _storage_delete(created_path)  # a concurrent upload of the same bytes won the race
    image.blob = blob  # as just read or written: the caller shows its status at once
    return image, created


def _reject_message(size_bytes: int) -> str:
    rejected = (
        processing.ImageRejected.empty()
        if size_bytes <= 0
        else processing.ImageRejected.too_large(settings.MEDIA_MAX_UPLOAD_BYTES)
    )
    return str(rejected.message)


def _queue_processing(blob_id: int) -> None:
    from media.tasks import process_image

    try:
        process_image.apply_async(args=[blob_id], queue="image")
    except Exception:  # noqa: BLE001 - the broker is down: the hourly sweep retries it
        logger.warning("media: could not queue processing of blob %s", blob_id, exc_info=True)


def blob_process(*, blob_id: int) -> str:
    """Render a blob's variants from its original, store them, and forget the original (it may
    hold GPS and other metadata). Runs on the image branch; returns the blob's status. A blob
    that is no longer `processing` is left alone, so a repeated task does nothing."""
    blob = ImageBlob.objects.filter(pk=blob_id).first()
    if blob is None or blob.status != BlobStatus.PROCESSING:
        return blob.status if blob else "missing"
    written: list[str] = []
    original_path = blob.original_path
    try:
        with default_storage.open(blob.original_path, "rb") as original:
            source = io.BytesIO(original.read())
        rendered = processing.variants_render(
            source, processing.default_variant_specs(),
            allowed_formats=settings.MEDIA_ALLOWED_FORMATS, max_pixels=settings.MEDIA_MAX_PIXELS,
        )  # fmt: skip
        variants = []
        for variant in rendered:
            path = variant_path(blob, variant.name)
            _storage_delete(path)  # left by an interrupted earlier attempt
            written.append(default_storage.save(path, ContentFile(variant.data)))
            variants.append(ImageVariant(blob=blob, name=variant.name, width=variant.width,
                                         height=variant.height, size_bytes=len(variant.data),
                                         path=written[-1]))  # fmt: skip
        full = next(v for v in variants if v.name == "full")
        with transaction.atomic():
            ImageVariant.objects.filter(blob=blob).delete()
            ImageVariant.objects.bulk_create(variants)
            blob.status, blob.width, blob.height = BlobStatus.READY, full.width, full.height
            blob.processed_at = timezone.now()
            blob.original_path = ""
            blob.save(update_fields=["status", "width", "height", "processed_at",
                                     "original_path"])  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - recorded on the blob, shown to its uploaders
        _storage_delete(*written)
        reason = (
            str(exc.message)
            if isinstance(exc, processing.ImageRejected)
            else _("The image could not be processed.")
        )
        logger.warning("media: processing blob %s failed", blob_id, exc_info=True)
        blob.original_path = ""
        blob.status, blob.failure_reason = BlobStatus.FAILED, reason
        blob.processed_at = timezone.now()
        blob.save(update_fields=["status", "failure_reason", "processed_at", "original_path"])
    _storage_delete(original_path)
    return blob.status


def variant_on_demand(*, image: Image, size: str) -> ImageVariant:
    """The stored variant of ``image`` at ``size`` (one of MEDIA_ON_DEMAND_SIZES), rendered
    from its full variant the first time (M4). ValueError for another size; LookupError while
    the image is not ready."""
    spec = processing.variant_spec_on_demand(size)
    blob = image.blob
    existing = ImageVariant.objects.filter(blob=blob, name=spec.name).first()
    if existing is not None:
        return existing
    full = ImageVariant.objects.filter(blob=blob, name="full").first()
    if blob.status != BlobStatus.READY or full is None:
        raise LookupError("the image is not ready")
    with default_storage.open(full.path, "rb") as stored:
        source = io.BytesIO(stored.read())
    # Rendered from our own WebP: whatever formats uploads may use, this one is ours.
    rendered = processing.variant_render(
        source, spec, allowed_formats=("WEBP",), max_pixels=settings.MEDIA_MAX_PIXELS
    )
    path = variant_path(blob, spec.name)
    _storage_delete(path)
    path = default_storage.save(path, ContentFile(rendered.data))
    try:
        with transaction.atomic():
            return ImageVariant.objects.create(
                blob=blob, name=spec.name, width=rendered.width, height=rendered.height,
                size_bytes=len(rendered.data), path=path,
            )  # fmt: skip
    except IntegrityError:  # rendered at the same time by another request: theirs stays
        _storage_delete(path)
        return ImageVariant.objects.get(blob=blob, name=spec.name)


def avatar_set(*, user: User, image: Image | None) -> Avatar | None:
    """Show ``image`` (the user's own, ready) as the user's avatar; None removes it."""
    if image is None:
        Avatar.objects.filter(user=user).delete()
        return None
    if image.owner_id != user.pk:
        raise PermissionDenied(_("You can use only your own images."))
    if image.blob.status != BlobStatus.READY:
        raise ValidationError({"image": _("This image is not ready yet.")})
    avatar, _created = Avatar.objects.update_or_create(user=user, defaults={"image": image})
    image.unreferenced_since = None
    image.save(update_fields=["unreferenced_since"])
    return avatar


def images_cleanup(*, dry_run: bool = False, now: timezone.datetime | None = None) -> list[Image]:
    """Delete images that nothing has referred to for MEDIA_UNUSED_DAYS days (M6), and the
    contents and files no image uses any more. References are those the apps declare
    (media.references). Returns the images deleted (or, with ``dry_run``, that would be)."""
    now = now or timezone.now()
    referenced = is_referenced()
    if not dry_run:
        # Marks first: what is referenced now is not unused; what is not starts its 30 days.
        Image.objects.filter(referenced).exclude(unreferenced_since=None).update(
            unreferenced_since=None
        )
        Image.objects.filter(~referenced, unreferenced_since=None).update(unreferenced_since=now)
    cutoff = now - timedelta(days=settings.MEDIA_UNUSED_DAYS)
    doomed = list(
        Image.objects.filter(~referenced, unreferenced_since__lte=cutoff).select_related("blob")
    )
    if dry_run:
        return doomed
    blob_ids = {image.blob_id for image in doomed}
    Image.objects.filter(pk__in=[image.pk for image in doomed]).delete()
    for blob in ImageBlob.objects.filter(pk__in=blob_ids, uploads__isnull=True):
        paths = [*blob.variants.values_list("path", flat=True), blob.original_path]
        with transaction.atomic():
            # Locked and checked again: an upload of the same bytes meanwhile keeps it.
            locked = ImageBlob.objects.select_for_update().filter(pk=blob.pk).first()
            if locked is None or locked.uploads.exists():
                continue
            locked.delete()
        _storage_delete(*paths)
    return doomed
