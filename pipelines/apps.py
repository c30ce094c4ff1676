from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PipelinesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pipelines"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from pipelines import signals  # noqa: F401 - connects the receivers
        from pipelines.registry import validate_catalogue

        # Every app's jobs are declared in its tasks.py: load them all now, so that a cycle or an
        # unknown dependency stops start-up instead of the first run.
        autodiscover_modules("tasks")
        validate_catalogue()
        post_migrate.connect(_sync_after_migrate, sender=self)


def _sync_after_migrate(**kwargs: object) -> None:
    from pipelines.services import catalogue_sync

    catalogue_sync()
