from django.apps import AppConfig


class CachekitConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cachekit"

    def ready(self) -> None:
        from cachekit import signals

        signals.connect_tracked_models()
