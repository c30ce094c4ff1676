from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.chat_page, name="page"),
    path("<int:room_id>/", views.chat_page, name="room"),
]
