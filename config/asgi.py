"""ASGI entry point: routes HTTP to Django and WebSockets to the apps' consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from config.routing import websocket_application  # noqa: E402
from core.bodylimit import RequestBodyLimit  # noqa: E402
from core.origin import OriginOrNoCookieValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": OriginOrNoCookieValidator(websocket_application),
    }
)
