from django.urls import path

from media.api import views

urlpatterns = [
    path("media/images/", views.ImageListView.as_view(), name="media-images"),
    path("media/images/<uuid:image_id>/", views.ImageDetailView.as_view(), name="media-image"),
    path("media/avatar/", views.AvatarView.as_view(), name="media-avatar"),
]
