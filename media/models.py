"""Images: distinct contents (by SHA-256) with their WebP variants, and users' uploads of them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cachekit.managers import CachingManager


class BlobStatus(models.TextChoices):
    PROCESSING = "processing", _("processing")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")


class ImageBlob(models.Model):
    """One distinct image content, by the SHA-256 of the uploaded bytes, and what processing
    made of it. Every upload of the same bytes shares it, so it is processed once (M3)."""

    sha256 = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=BlobStatus.choices, default=BlobStatus.PROCESSING
    )
    failure_reason = models.TextField(blank=True)
    source_format = models.CharField(max_length=10)
    source_bytes = models.PositiveBigIntegerField()
    # The upload as received, kept only until it is processed: it may carry GPS and other
    # metadata that no variant keeps.
    original_path = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField(null=True, help_text="of the full variant")
    height = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = CachingManager()
    cache_lookup_fields = ("sha256",)

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.status})"


class ImageVariant(models.Model):
    """One stored WebP rendering of a blob: by purpose (thumbnail, preview, full) or an
    on-demand size such as "200x200" (M2, M4). Its file never changes once written."""

    blob = models.ForeignKey(ImageBlob, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    path = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CachingManager()
    cache_lookup_fields = ("blob_id",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blob", "name"], name="variant_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.blob_id}/{self.name}"


class Image(models.Model):
    """One user's upload. Its id is a random UUID: it is the image's public handle in URLs
    (/media/i/<id>/...), and must not be guessable from another's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    blob = models.ForeignKey(ImageBlob, on_delete=models.PROTECT, related_name="uploads")
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the clean-up job first found nothing referring to it (M6); cleared when something
    # does. New uploads start unreferenced.
    unreferenced_since = models.DateTimeField(null=True, blank=True)

    objects = CachingManager()
    cache_lookup_fields = ("id",)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "blob"], name="image_unique_owner_blob"),
        ]
        indexes = [models.Index(fields=["unreferenced_since"], name="image_unreferenced_idx")]

    def __str__(self) -> str:
        return self.original_name or str(self.id)


class Avatar(models.Model):
    """The image a user shows as their avatar."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="avatar"
    )
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = CachingManager()
    cache_lookup_fields = ("user_id",)

    def __str__(self) -> str:
        return f"avatar of {self.user_id}"
