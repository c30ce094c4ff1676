from django.contrib import admin

from news.models import Article, FeedSource


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "language", "is_enabled", "last_fetched_at", "last_error")
    list_filter = ("language", "is_enabled")
    search_fields = ("name", "url")
    readonly_fields = ("etag", "last_modified", "last_fetched_at", "last_error")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "language", "published_at", "sentiment")
    list_filter = ("source", "language", "sentiment")
    search_fields = ("title", "url")
    date_hierarchy = "published_at"
    raw_id_fields = ("stocks",)
    list_select_related = ("source",)
