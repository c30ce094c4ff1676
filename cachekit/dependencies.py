"""What a cached entry depends on, as tags whose versions writes bump.

A model opts in by declaring `cache_lookup_fields` (the fields, besides the primary key, that
cached look-ups use). That declaration lives on the model, so every process that writes the model
knows which tags to bump, whether or not it ever imported the code that reads through the cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models


def is_tracked(model: type[models.Model]) -> bool:
    return hasattr(model, "cache_lookup_fields")


def model_label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def lookup_fields(model: type[models.Model]) -> tuple[str, ...]:
    """The fields rows are tagged by: `pk` and the model's declared lookup fields."""
    return ("pk", *getattr(model, "cache_lookup_fields", ()))


def _field_name(model: type[models.Model], field: str) -> str:
    return "pk" if field in ("pk", model._meta.pk.name) else field


def row_tag(model: type[models.Model], field: str, value: Any) -> str:
    return f"{model_label(model)}:{_field_name(model, field)}={value}"


def any_row_tag(model: type[models.Model]) -> str:
    """Bumped by every write of the model: for entries that depend on the table as a whole."""
    return f"{model_label(model)}:*"


def bulk_tag(model: type[models.Model]) -> str:
    """Bumped by bulk writes that cannot name their rows; every row entry depends on it."""
    return f"{model_label(model)}:bulk"


def namespace_tag(namespace: str) -> str:
    return f"ns:{namespace}"


class Dependency:
    def tags(self) -> list[str]:
        raise NotImplementedError


@dataclass(frozen=True, init=False)
class Row(Dependency):
    """Depends on the one row of ``model`` where ``field == value`` (e.g. Row(Stock, code=X))."""

    model: type[models.Model]
    field: str
    value: Any

    def __init__(self, model: type[models.Model], **lookup: Any) -> None:
        if len(lookup) != 1:
            raise TypeError("Row() takes exactly one field=value lookup")
        ((field, value),) = lookup.items()
        if not is_tracked(model):
            raise ImproperlyConfigured(
                f"{model_label(model)} is not cache-tracked: declare `cache_lookup_fields` on it"
            )
        if _field_name(model, field) not in lookup_fields(model):
            raise ImproperlyConfigured(
                f"{model_label(model)}.{field} is not in its cache_lookup_fields"
            )
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "field", _field_name(model, field))
        object.__setattr__(self, "value", value)

    def tags(self) -> list[str]:
        return [row_tag(self.model, self.field, self.value), bulk_tag(self.model)]


@dataclass(frozen=True)
class AnyRow(Dependency):
    """Depends on every row of ``model``: any save, delete or bulk write drops the entry."""

    model: type[models.Model]

    def __post_init__(self) -> None:
        if not is_tracked(self.model):
            raise ImproperlyConfigured(
                f"{model_label(self.model)} is not cache-tracked: declare `cache_lookup_fields`"
            )

    def tags(self) -> list[str]:
        return [any_row_tag(self.model)]


def tags_of(dependencies: Iterable[Dependency]) -> list[str]:
    seen: dict[str, None] = {}
    for dependency in dependencies:
        for tag in dependency.tags():
            seen.setdefault(tag, None)
    return list(seen)
