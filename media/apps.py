from django.apps import AppConfig


class MediaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "media"
    image_references = ["Avatar.image"]

    def ready(self) -> None:
        from media import references  # noqa: F401 - registers the system check
