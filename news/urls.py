from django.urls import path

from news import views

app_name = "news"

urlpatterns = [
    path("", views.news_list, name="list"),
    path("<int:article_id>/", views.news_detail, name="detail"),
    path("demo-feeds/<str:file_name>", views.demo_feed, name="demo-feed"),
]
