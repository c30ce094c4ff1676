from django.apps import AppConfig


class TestappConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.cachekit.testapp"
    label = "cachekit_testapp"
