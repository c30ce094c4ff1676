from django.urls import path

from news.api import views

urlpatterns = [
    path("news/", views.NewsListView.as_view(), name="news-list"),
    path("news/<int:article_id>/", views.NewsDetailView.as_view(), name="news-detail"),
]
