from django.contrib import admin
from django.http import HttpRequest

from portfolio.models import Holding, Portfolio, Transaction


class TransactionInline(admin.TabularInline):
    model = Transaction
    extra = 0
    fields = ("traded_on", "kind", "stock", "quantity", "price", "fee", "note")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    """Read-only for staff (support): portfolios change only through their owner, whose
    writes keep holdings and caches consistent."""

    list_display = ("name", "owner", "base_currency", "created_at", "updated_at")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner",)
    inlines = [TransactionInline]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A user's holdings and notes are private (P2): superusers only, not all staff.
        return request.user.is_superuser

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Holding)
class HoldingAdmin(admin.ModelAdmin):
    list_display = ("portfolio", "stock", "quantity", "cost_basis", "realised_pl", "dividends")
    list_select_related = ("portfolio", "stock")
    raw_id_fields = ("portfolio", "stock")

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False  # derived from transactions: deleting one would leave it wrong
