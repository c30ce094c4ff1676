"""The media app's work on Celery: each upload processed on the image branch's queue (M1, M2),
a sweep that re-queues uploads a lost worker left behind, and the weekly clean-up (M6)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import close_old_connections
from django.utils import timezone

from media import services
from media.models import BlobStatus, ImageBlob
from pipelines.registry import job
from pipelines.runner import RunContext

STUCK_AFTER = timedelta(minutes=10)


@shared_task(name="media.process_image", acks_late=True, reject_on_worker_lost=True)
def process_image(blob_id: int) -> str:
    """Render one upload's variants (queued on the "image" queue by the upload)."""
    close_old_connections()
    return services.blob_process(blob_id=blob_id)


@job(
    name="media.process_pending",
    branch="image",
    cron="*/15 * * * *",
    priority=5,
    max_retries=1,
)
def process_pending(run: RunContext) -> None:
    """Process uploads still waiting after STUCK_AFTER: their task was lost (a worker killed,
    the broker down when they were queued)."""
    stuck = ImageBlob.objects.filter(
        status=BlobStatus.PROCESSING, created_at__lt=timezone.now() - STUCK_AFTER
    ).values_list("pk", flat=True)
    count = 0
    for count, blob_id in enumerate(stuck, start=1):
        services.blob_process(blob_id=blob_id)
        run.progress(min(99, count), f"{count} processed")
    run.progress(100, f"{count} waiting uploads processed")


@job(
    name="media.cleanup_unused",
    branch="cleanup",
    cron="0 2 * * 0",  # Sundays 02:00, in the catalogue's default zone, Asia/Seoul
    max_retries=1,
    soft_time_limit_seconds=1800,
    time_limit_seconds=2000,
)
def cleanup_unused(run: RunContext) -> None:
    """Delete images no declared reference has used for MEDIA_UNUSED_DAYS (30) days (M6)."""
    deleted = services.images_cleanup()
    run.progress(100, f"{len(deleted)} unused images deleted")
