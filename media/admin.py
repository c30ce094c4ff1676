from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from media import selectors
from media.models import Avatar, Image, ImageBlob, ImageVariant


def _thumbnail(blob: ImageBlob) -> str:
    variant = next((v for v in blob.variants.all() if v.name == "thumbnail"), None)
    if variant is None:
        return "—"
    return format_html('<img src="{}" alt="" style="max-height:60px;max-width:100px">',
                       selectors.variant_url(variant.path))  # fmt: skip


class ImageVariantInline(admin.TabularInline):
    model = ImageVariant
    extra = 0
    can_delete = False
    readonly_fields = ("name", "width", "height", "size_bytes", "path", "created_at")

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ImageBlob)
class ImageBlobAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "sha256", "status", "source_format", "width", "height",
                    "created_at")  # fmt: skip
    list_filter = ("status", "source_format")
    search_fields = ("sha256",)
    readonly_fields = [f.name for f in ImageBlob._meta.fields]
    inlines = [ImageVariantInline]

    def get_queryset(self, request: object) -> object:
        return super().get_queryset(request).prefetch_related("variants")

    @admin.display(description=_("thumbnail"))
    def thumbnail(self, blob: ImageBlob) -> str:
        return _thumbnail(blob)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("thumbnail", "original_name", "owner", "status", "created_at",
                    "unreferenced_since")  # fmt: skip
    list_filter = ("blob__status",)
    search_fields = ("original_name", "owner__username", "blob__sha256")
    readonly_fields = ("id", "owner", "blob", "original_name", "created_at", "unreferenced_since",
                       "thumbnail")  # fmt: skip

    def get_queryset(self, request: object) -> object:
        return (
            super()
            .get_queryset(request)
            .select_related("owner", "blob")
            .prefetch_related("blob__variants")
        )

    def has_add_permission(self, request: object) -> bool:
        return False  # uploads go through the site, where they are checked

    @admin.display(description=_("status"))
    def status(self, image: Image) -> str:
        return image.blob.get_status_display()

    @admin.display(description=_("thumbnail"))
    def thumbnail(self, image: Image) -> str:
        return _thumbnail(image.blob)


@admin.register(Avatar)
class AvatarAdmin(admin.ModelAdmin):
    list_display = ("user", "image", "updated_at")
    raw_id_fields = ("user", "image")
