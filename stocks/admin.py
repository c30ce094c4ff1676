from django.contrib import admin

from stocks.models import MarketIndexSnapshot, PriceBar, Stock, StockSplit


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ko", "name_en", "market", "sector", "last_price",
                    "change_percent", "volume", "updated_at")  # fmt: skip
    list_filter = ("market", "sector")
    search_fields = ("code", "name_ko", "name_en")
    ordering = ("code",)
    # Prices come from collection; staff edit the listing itself.
    readonly_fields = ("last_price", "previous_close", "change", "change_percent", "volume",
                       "market_cap", "updated_at")  # fmt: skip


@admin.register(PriceBar)
class PriceBarAdmin(admin.ModelAdmin):
    list_display = ("stock", "interval", "starts_at", "open", "high", "low", "close", "volume")
    list_filter = ("interval",)
    search_fields = ("stock__code",)
    raw_id_fields = ("stock",)
    date_hierarchy = "starts_at"
    list_select_related = ("stock",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(MarketIndexSnapshot)
class MarketIndexSnapshotAdmin(admin.ModelAdmin):
    list_display = ("symbol", "value", "change", "change_percent", "captured_at")
    list_filter = ("symbol",)
    date_hierarchy = "captured_at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(StockSplit)
class StockSplitAdmin(admin.ModelAdmin):
    """Staff record splits; every portfolio holding the stock is re-derived after the save."""

    list_display = ("stock", "effective_on", "old_shares", "new_shares")
    search_fields = ("stock__code", "stock__name_ko", "stock__name_en")
    raw_id_fields = ("stock",)
    list_select_related = ("stock",)

    def get_readonly_fields(self, request: object, obj: StockSplit | None = None) -> tuple:
        # Moving a split to another stock would leave the first stock's holdings split: delete
        # it and record a new one instead.
        return ("stock",) if obj is not None else ()
