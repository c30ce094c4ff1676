from django.contrib import admin

from chat.models import Membership, Message, Room


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user", "last_read_message")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "stock", "created_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("stock", "created_by")
    inlines = [MembershipInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: messages change through their senders (soft delete keeps their place)."""

    list_display = ("room", "sender", "created_at", "edited_at", "deleted_at")
    list_filter = ("room",)
    list_select_related = ("room", "sender")
    readonly_fields = ("room", "sender", "content", "reply_to", "created_at", "edited_at",
                       "deleted_at")  # fmt: skip

    def has_add_permission(self, request: object) -> bool:
        return False
