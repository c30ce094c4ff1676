from django.urls import path

from stocks import views

app_name = "stocks"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("stocks/", views.stock_list, name="list"),
    path("stocks/<str:code>/", views.stock_detail, name="detail"),
]
