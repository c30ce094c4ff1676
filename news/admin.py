from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from news import services
from news.models import Article, FeedSource


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "language", "is_enabled", "last_fetched_at", "last_error")
    list_filter = ("language", "is_enabled")
    search_fields = ("name", "url")
    readonly_fields = ("etag", "last_modified", "last_fetched_at", "last_error")
    actions = ["crawl_now"]

    @admin.action(description=_("Fetch the selected feeds now"))
    def crawl_now(self, request: HttpRequest, queryset: QuerySet[FeedSource]) -> None:
        outcome = services.feeds_crawl(source_ids=queryset.values_list("pk", flat=True))
        messages.info(
            request,
            _("%(sources)d enabled feeds fetched: %(new)d new articles, %(failed)d failed.")
            % {
                "sources": outcome.sources,
                "new": outcome.new_articles,
                "failed": outcome.failed_sources,
            },  # fmt: skip
        )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "source", "language", "published_at", "sentiment")
    list_filter = ("source", "language", "sentiment")
    search_fields = ("title", "url")
    date_hierarchy = "published_at"
    raw_id_fields = ("stocks",)
    list_select_related = ("source",)
    readonly_fields = ("analysed_at", "created_at")

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:  # noqa: ANN001
        services.article_save(article=obj, changed_fields=form.changed_data)
