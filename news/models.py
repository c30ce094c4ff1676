"""News feed sources and the articles crawled from them (N1-N3)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cachekit.managers import CachingManager
from core.textsearch import document_vector


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class FeedSource(models.Model):
    """One RSS or Atom feed the crawler fetches, with what the last fetch left behind."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(_("feed URL"), max_length=500, unique=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    # Conditional GET: sent back as If-None-Match / If-Modified-Since, so an unchanged feed is a
    # 304 with no body.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = CachingManager()
    cache_lookup_fields = ()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("positive")
    NEUTRAL = "neutral", _("neutral")
    NEGATIVE = "negative", _("negative")


class Article(models.Model):
    """One news item, unique by its normalised URL, linked to the stocks it mentions."""

    source = models.ForeignKey(FeedSource, on_delete=models.CASCADE, related_name="articles")
    url = models.URLField(_("URL"), max_length=1000, unique=True)
    title = models.CharField(_("title"), max_length=500)
    summary = models.TextField(_("summary"), blank=True)
    published_at = models.DateTimeField(_("published"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    stocks = models.ManyToManyField("stocks.Stock", related_name="articles", blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=8, choices=Sentiment.choices, blank=True
    )
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    # Set once the ai branch has linked stocks and scored sentiment.
    analysed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Title (weight A) and summary (B) tokenised for Korean and English search; see
    # core.textsearch. Written with the text by news.services, never by hand.
    search_document = SearchVectorField(null=True, editable=False)

    objects = CachingManager()
    cache_lookup_fields = ()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="article_recent_idx"),
            models.Index(fields=["source", "-published_at"], name="article_source_recent_idx"),
            models.Index(fields=["sentiment", "-published_at"], name="article_sentiment_idx"),
            models.Index(
                fields=["created_at"],
                name="article_unanalysed_idx",
                condition=models.Q(analysed_at__isnull=True),
            ),
            GinIndex(fields=["search_document"], name="article_search_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def search_document_of_text(self) -> str:
        return document_vector([(self.title, "A"), (self.summary, "B")])
