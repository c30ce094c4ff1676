"""WebSocket URL routing: every app contributes the patterns in its routing.py."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import re_path

from chat.routing import websocket_urlpatterns as chat_patterns
from core.consumers import UnknownPathConsumer
from pipelines.routing import websocket_urlpatterns as pipelines_patterns
from stocks.routing import websocket_urlpatterns as stocks_patterns

websocket_urlpatterns: list = [
    *chat_patterns,
    *pipelines_patterns,
    *stocks_patterns,
    # Apps add their routes above this catch-all.
    re_path(r"^.*$", UnknownPathConsumer.as_asgi()),
]

websocket_application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
