"""Which models refer to images (M6): declared by the apps, not guessed.

An app lists its references to `media.Image` in its AppConfig:

    class ChatConfig(AppConfig):
        image_references = ["Message.image"]

Only declared fields keep an image alive. A system check fails when a foreign key to
`media.Image` is not declared, so a new reference cannot be forgotten and its images deleted.
"""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.db import models
from django.db.models import Exists, OuterRef, Q


def image_reference_fields() -> list[models.ForeignKey]:
    """Every declared reference: the foreign keys (or one-to-ones) to media.Image."""
    image_model = apps.get_model("media", "Image")
    fields = []
    for config in apps.get_app_configs():
        for declared in getattr(config, "image_references", ()):
            model_name, _, field_name = declared.partition(".")
            field = config.get_model(model_name)._meta.get_field(field_name)
            if not (isinstance(field, models.ForeignKey) and field.related_model is image_model):
                raise TypeError(f"{config.label}.{declared} is not a foreign key to media.Image")
            fields.append(field)
    return fields


def is_referenced() -> Q:
    """A filter on Image: some declared reference points at it (an EXISTS per reference, each
    on the foreign key's index)."""
    condition = Q(pk__in=[])
    for field in image_reference_fields():
        condition |= Q(Exists(field.model._default_manager.filter(**{field.name: OuterRef("pk")})))
    return condition


@checks.register()
def undeclared_image_references(app_configs: object = None, **_: object) -> list[checks.Error]:
    image_model = apps.get_model("media", "Image")
    declared = set(image_reference_fields())
    errors = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            is_reference = isinstance(field, models.ForeignKey) and not field.auto_created
            if is_reference and field.related_model is image_model and field not in declared:
                errors.append(checks.Error(
                    f"{model._meta.label}.{field.name} refers to media.Image but is not in its "
                    "app's image_references: the clean-up would delete the images it uses.",
                    id="media.E001",
                ))  # fmt: skip
    return errors
