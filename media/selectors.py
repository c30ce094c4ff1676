"""Reads of the media app: an image as the API and pages show it, with variant URLs through the
CDN when one is configured (M5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.urls import reverse

from cachekit import Row, cached
from media.models import Avatar, Image, ImageBlob, ImageVariant

PURPOSES = ("thumbnail", "preview", "full")


@cached(namespace="media", ttl="image_by_hash",
        depends_on=lambda sha256: [Row(ImageBlob, sha256=sha256)])  # fmt: skip
def blob_id_for_hash(sha256: str) -> int | None:
    """The stored content with this SHA-256, remembered 30 days (M3); a new or deleted one
    drops the entry."""
    return ImageBlob.objects.filter(sha256=sha256).values_list("pk", flat=True).first()


def variant_url(path: str) -> str:
    """A stored file's URL: the storage's, under MEDIA_URL, which is the CDN when set (M5)."""
    return default_storage.url(path)


def image_payload(image: Image) -> dict[str, Any]:
    """An image as the API shows it: status, and the variants' URLs once ready."""
    blob = image.blob
    variants = {v.name: v for v in blob.variants.all()} if blob.status == "ready" else {}
    return {
        "id": image.pk,
        "status": blob.status,
        "failure_reason": blob.failure_reason or None,
        "original_name": image.original_name,
        "format": blob.source_format,
        "size_bytes": blob.source_bytes,
        "width": blob.width,
        "height": blob.height,
        "variants": {
            name: {"url": variant_url(variants[name].path), "width": variants[name].width,
                   "height": variants[name].height}
            for name in PURPOSES if name in variants
        },
        "created_at": image.created_at,
    }  # fmt: skip


def image_of(*, user_id: int, image_id: UUID) -> Image | None:
    """One of the user's own images (another's is None: a 404)."""
    return (
        Image.objects.filter(pk=image_id, owner_id=user_id)
        .select_related("blob")
        .prefetch_related("blob__variants")
        .first()
    )


def images_of(user_id: int) -> Any:
    """The user's images, newest first (a queryset, for pagination)."""
    return (
        Image.objects.filter(owner_id=user_id)
        .select_related("blob")
        .prefetch_related("blob__variants")
        .order_by("-created_at")
    )


def on_demand_url(image_id: UUID | str, size: str) -> str:
    """The URL that serves ``size`` of an image, rendering it the first time (M4)."""
    return reverse("media:resized", kwargs={"image_id": image_id, "size": size})


def _variant_depends_on(image_id: str, size: str) -> list:
    return [Row(Image, id=image_id)]


@cached(namespace="media", ttl="image_resized", depends_on=_variant_depends_on)
def resized_location(image_id: str, size: str) -> str | None:
    """Where the stored ``size`` variant of an image is, cached 7 days (M4); None while it
    is not stored yet."""
    return (
        ImageVariant.objects.filter(blob__uploads__pk=image_id, name=size)
        .values_list("path", flat=True)
        .first()
    )


def avatar_image_id(user_id: int) -> UUID | None:
    try:
        return Avatar.objects.get_cached(user_id=user_id).image_id
    except Avatar.DoesNotExist:
        return None


# The on-demand size (MEDIA_ON_DEMAND_SIZES) an avatar is linked at.
AVATAR_SIZE = "96x96"


def avatar_url(user_id: int, size: str = AVATAR_SIZE) -> str | None:
    """The user's avatar at an on-demand size, or None."""
    image_id = avatar_image_id(user_id)
    return on_demand_url(image_id, size) if image_id else None
