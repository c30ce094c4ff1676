from django.urls import include, path

from tests.cachekit.testapp import views

urlpatterns = [
    path("api/v1/test/whoami/", views.WhoAmIView.as_view()),
    path("test/greeting/", views.greeting_page),
    path("test/missing/", views.missing_page),
    path("test/form/", views.form_page),
    path("test/cookie/", views.cookie_page),
    path("test/add-message/", views.add_message),
    path("", include("config.urls")),
]
