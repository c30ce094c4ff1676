"""`manage.py compiletranslations`: build .mo files without GNU gettext (deploy step)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from core.translations import compile_translations


class Command(BaseCommand):
    help = "Compile the .po translations in LOCALE_PATHS into .mo files (pure Python)."

    def handle(self, *args: object, **options: object) -> None:
        for locale_dir in settings.LOCALE_PATHS:
            for mo_path in compile_translations(Path(locale_dir)):
                self.stdout.write(f"compiled {mo_path}")
        self.stdout.write(self.style.SUCCESS("Translations are up to date."))
