"""`manage.py seed_demo`: idempotent demo data, so a fresh install shows a living site (F8).

Each app that has demo data provides `<app>/demo.py` with `seed_demo(*, stdout)`; they run in
INSTALLED_APPS order, so accounts come before the data that refers to them.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Load demo data (idempotent). Prints the demo sign-in credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has users (used by `make run`).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load demo data even where DEMO_DATA_ALLOWED is off (it sets public passwords).",
        )

    def handle(
        self, *args: object, if_empty: bool = False, force: bool = False, **options: object
    ) -> None:
        if not settings.DEMO_DATA_ALLOWED and not force:
            raise CommandError(
                "Demo data gives the demo and staff accounts publicly known passwords; "
                "DEMO_DATA_ALLOWED is off here. Pass --force if you really mean it."
            )
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
            return
        for app_config in apps.get_app_configs():
            if not module_has_submodule(app_config.module, "demo"):
                continue
            self.stdout.write(f"Seeding {app_config.label} ...")
            with transaction.atomic():
                import_module(f"{app_config.name}.demo").seed_demo(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/"))
