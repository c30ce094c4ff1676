"""`manage.py media_cleanup [--dry-run]`: delete (or list) images unused for MEDIA_UNUSED_DAYS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from media import services


class Command(BaseCommand):
    help = "Delete images no model has referred to for MEDIA_UNUSED_DAYS days (M6)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be deleted, delete nothing"
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        images = services.images_cleanup(dry_run=dry_run)
        for image in images:
            self.stdout.write(
                f"{image.pk}  {image.original_name or '-'}  owner {image.owner_id}  "
                f"unused since {image.unreferenced_since:%Y-%m-%d}"
            )
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {len(images)} images unused for {settings.MEDIA_UNUSED_DAYS} days"
        ))  # fmt: skip
