from django.urls import path

from accounts.api import views

urlpatterns = [
    path("token/", views.TokenObtainView.as_view(), name="token-obtain"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("me/", views.MeView.as_view(), name="me"),
]
