from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chat"
    # Images a message carries stay while it does (see media.references).
    image_references = ["Message.image"]

    def ready(self) -> None:
        from chat import signals  # noqa: F401 - connects the receivers
