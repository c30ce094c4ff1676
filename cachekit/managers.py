"""Model-level cached look-ups (C2) and bulk writes that invalidate (C3)."""

from __future__ import annotations

from typing import Any

from django.db import models

from cachekit.core import get_or_compute
from cachekit.dependencies import Row, any_row_tag, bulk_tag
from cachekit.signals import invalidate_after_commit


class _Missing:
    """Cached in place of a row that does not exist, so repeated misses stay cheap."""


class CachingQuerySet(models.QuerySet):
    """Bulk writes name no rows: they bump the model's bulk tag, which every row entry reads."""

    def _invalidate_bulk(self) -> None:
        invalidate_after_commit(
            [any_row_tag(self.model), bulk_tag(self.model)],
            using=self.db,
        )

    def invalidate_all(self) -> None:
        """After commit, drop every entry depending on this model: for writes made outside the
        ORM (COPY, raw SQL), which send no signals."""
        self._invalidate_bulk()

    def update(self, **kwargs: Any) -> int:
        updated = super().update(**kwargs)
        if updated:
            self._invalidate_bulk()
        return updated

    update.alters_data = True

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        self._invalidate_bulk()
        return result

    delete.alters_data = True

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            self._invalidate_bulk()
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        updated = super().bulk_update(objs, fields, *args, **kwargs)
        if updated:
            self._invalidate_bulk()
        return updated

    def get_cached(self, **lookup: Any) -> models.Model:
        """`get(field=value)` read through the cache; the field must be a cache lookup field.

        Raises the model's DoesNotExist like `get()` (the absence is cached too, and dropped when
        a matching row is saved).
        """
        if self.query.where or self.db != "default":
            # The key names only the lookup: a filtered queryset (`.filter(owner=user)`) must not
            # be answered from an entry another caller filled without that filter.
            raise TypeError("get_cached() works on the unfiltered manager only")
        ((field, value),) = lookup.items()
        model = self.model
        namespace = model._meta.app_label
        row = get_or_compute(
            f"model:{model._meta.label_lower}:{field}={value}",
            lambda: self.filter(**lookup).first() or _Missing(),
            namespace=namespace,
            ttl="model_lookup",
            depends_on=[Row(model, **lookup)],
        )
        if isinstance(row, _Missing):
            raise model.DoesNotExist(f"{model.__name__} matching {lookup} does not exist.")
        return row


CachingManager = models.Manager.from_queryset(CachingQuerySet)
