"""Automatic invalidation (C3): writes of cache-tracked models bump their tags after commit.

Receivers are connected per tracked model (models declaring `cache_lookup_fields`), so other
models pay nothing. A rolled-back write bumps nothing; a committed one bumps after the commit,
so no reader can refill an entry from the old data in between.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from cachekit.core import invalidate_tags
from cachekit.dependencies import any_row_tag, bulk_tag, is_tracked, lookup_fields, row_tag

_LOADED_VALUES = "_cachekit_loaded_values"


def _current_values(instance: models.Model) -> dict[str, Any]:
    values = {}
    for field in lookup_fields(type(instance)):
        attname = "pk" if field == "pk" else type(instance)._meta.get_field(field).attname
        # Read from __dict__: getattr on a deferred field would query the database.
        value = instance.pk if field == "pk" else instance.__dict__.get(attname)
        if value is not None:
            values[field] = value
    return values


def row_tags(instance: models.Model) -> list[str]:
    """Tags of one row: its lookup values now and as loaded (a changed code drops both)."""
    model = type(instance)
    values = _current_values(instance)
    tags = {row_tag(model, field, value) for field, value in values.items()}
    loaded = getattr(instance, _LOADED_VALUES, {})
    for field, value in loaded.items():
        tags.add(row_tag(model, field, value))
    if any(field not in values and field not in loaded for field in lookup_fields(model)):
        # A lookup field was deferred (`.only()`/`.defer()`): its value, and so its row tag, is
        # unknown; drop every row entry of the model rather than miss one.
        tags.add(bulk_tag(model))
    tags.add(any_row_tag(model))
    return sorted(tags)


def invalidate_after_commit(tags: list[str], *, using: str) -> None:
    def invalidate() -> None:
        invalidate_tags(tags)

    invalidate.is_cache_invalidation = True  # cachekit.core.has_pending_invalidations looks
    transaction.on_commit(invalidate, using=using)


def _remember_loaded_values(
    sender: type[models.Model], instance: models.Model, **kwargs: Any
) -> None:
    instance.__dict__[_LOADED_VALUES] = _current_values(instance)


def _row_written(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    invalidate_after_commit(row_tags(instance), using=using)
    if kwargs.get("signal") is post_save:
        instance.__dict__[_LOADED_VALUES] = _current_values(instance)


def _relation_changed(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    model: type[models.Model],
    pk_set: set | None,
    using: str,
    **kwargs: Any,
) -> None:
    if not action.startswith("post_"):
        return
    tags: list[str] = []
    if is_tracked(type(instance)):
        tags += row_tags(instance)
    if is_tracked(model):
        tags.append(any_row_tag(model))
        if action == "post_clear" or not pk_set:
            tags.append(bulk_tag(model))  # a clear() names no rows
        else:
            fields = [f for f in lookup_fields(model) if f != "pk"]
            # One query for the other side's lookup values, so exactly its rows are dropped.
            rows = model._base_manager.using(using).filter(pk__in=pk_set).values_list("pk", *fields)
            for pk, *values in rows:
                tags.append(row_tag(model, "pk", pk))
                tags += [row_tag(model, f, v) for f, v in zip(fields, values, strict=True)]
    if tags:
        invalidate_after_commit(sorted(set(tags)), using=using)


def connect_tracked_models() -> None:
    for model in apps.get_models():
        if not is_tracked(model):
            continue
        uid = f"cachekit:{model._meta.label_lower}"
        if lookup_fields(model) != ("pk",):
            post_init.connect(_remember_loaded_values, sender=model, dispatch_uid=uid)
        post_save.connect(_row_written, sender=model, dispatch_uid=uid)
        post_delete.connect(_row_written, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_relation_changed, dispatch_uid="cachekit:m2m")
