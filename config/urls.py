"""Top-level URL configuration: pages, admin, the versioned API, its schema, and health probes."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views as core_views
from media import views as media_views

api_v1_patterns = [
    path("auth/", include("accounts.api.urls")),
    path("pipelines/", include("pipelines.api.urls")),
    path("", include("stocks.api.urls")),
    path("", include("news.api.urls")),
    path("", include("portfolio.api.urls")),
    path("", include("chat.api.urls")),
    path("", include("media.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1_patterns, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("accounts/", include("accounts.urls")),
    path("ops/pipelines/", include("pipelines.urls")),
    path("news/", include("news.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("chat/", include("chat.urls")),
    path("media/", include("media.urls")),
    path("media-files/<path:path>", media_views.stored_file, name="media-file"),
    path("", include("stocks.urls")),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
