from django.urls import path, register_converter

from media import views


class SizeConverter:
    regex = r"[0-9]{1,4}x[0-9]{1,4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SizeConverter, "size")

app_name = "media"

urlpatterns = [
    path("", views.media_page, name="page"),
    path("avatar/", views.avatar_choose, name="avatar"),
    path("i/<uuid:image_id>/<size:size>.webp", views.resized, name="resized"),
]
