"""`manage.py seed_demo`: idempotent demo data, so a fresh install shows a living site (F8).

Each app that has demo data provides `<app>/demo.py` with `seed_demo(*, stdout)` and
`has_data() -> bool`; they run in INSTALLED_APPS order, so accounts come before the data that
refers to them. With --if-empty an app that already has data is left alone, so an existing install
gets the demo data of an app added since.
"""

from __future__ import annotations

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Load demo data (idempotent). Prints the demo sign-in credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only seed apps that have no data yet (used by `make run`).",
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
        seeded = 0
        for app_config in apps.get_app_configs():
            if not module_has_submodule(app_config.module, "demo"):
                continue
            demo = import_module(f"{app_config.name}.demo")
            if if_empty and demo.has_data():
                self.stdout.write(f"{app_config.label} already has data; its demo data not loaded.")
                continue
            self.stdout.write(f"Seeding {app_config.label} ...")
            with transaction.atomic():
                demo.seed_demo(stdout=self.stdout)
            seeded += 1
        if not seeded:
            return
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/"))
