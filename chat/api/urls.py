from django.urls import path

from chat.api import views

urlpatterns = [
    path("chat/rooms/", views.RoomListView.as_view(), name="chat-rooms"),
    path("chat/rooms/<int:room_id>/join/", views.RoomJoinView.as_view(), name="chat-room-join"),
    path(
        "chat/rooms/<int:room_id>/leave/", views.RoomLeaveView.as_view(), name="chat-room-leave"
    ),  # fmt: skip
    path(
        "chat/rooms/<int:room_id>/messages/",
        views.RoomMessagesView.as_view(),
        name="chat-room-messages",
    ),  # fmt: skip
    path(
        "chat/rooms/<int:room_id>/messages/<int:message_id>/",
        views.MessageDetailView.as_view(),
        name="chat-message",
    ),  # fmt: skip
    path("chat/rooms/<int:room_id>/read/", views.RoomReadView.as_view(), name="chat-room-read"),
    path(
        "chat/rooms/<int:room_id>/members/",
        views.RoomMembersView.as_view(),
        name="chat-room-members",
    ),  # fmt: skip
    path("chat/search/", views.MessageSearchView.as_view(), name="chat-search"),
    path("search/popular/", views.PopularTermsView.as_view(), name="search-popular"),
]
