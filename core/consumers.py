"""WebSocket consumers that belong to no domain."""

from channels.generic.websocket import WebsocketConsumer

CLOSE_CODE_NOT_FOUND = 4404


class UnknownPathConsumer(WebsocketConsumer):
    """Closes sockets opened on a path nobody serves, with a clear code instead of an error."""

    def connect(self) -> None:
        self.accept()
        self.close(code=CLOSE_CODE_NOT_FOUND)
