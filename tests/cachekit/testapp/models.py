"""Models that exist only for the cache toolkit's tests."""

from django.db import models

from cachekit.managers import CachingManager


class Tag(models.Model):
    """A label on articles (the other side of an m2m)."""

    name = models.CharField(max_length=50, unique=True)

    cache_lookup_fields = ("name",)

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """An article looked up by slug."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    views = models.PositiveIntegerField(default=0)
    tags = models.ManyToManyField(Tag, related_name="articles", blank=True)

    cache_lookup_fields = ("slug",)

    objects = CachingManager()
    plain = models.Manager()  # noqa: DJ012 - bypasses bulk invalidation, shown in a test

    def __str__(self) -> str:
        return self.slug
