from django.urls import path

from pipelines.consumers import PipelineEventsConsumer

websocket_urlpatterns = [
    path("ws/pipelines/", PipelineEventsConsumer.as_asgi()),
]
