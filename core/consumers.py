"""WebSocket consumers that belong to no domain, and what every socket's frames share."""

from channels.generic.websocket import WebsocketConsumer

# Close codes every socket of the site uses alike (each app adds its own beside them).
CLOSE_POLICY_VIOLATION = 1008  # not allowed: no valid credentials, or not staff
CLOSE_SIGNED_OUT = 4401  # every session of the user ended: the client may sign in again
CLOSE_CODE_NOT_FOUND = 4404


class UnknownPathConsumer(WebsocketConsumer):
    """Closes sockets opened on a path nobody serves, with a clear code instead of an error."""

    def connect(self) -> None:
        self.accept()
        self.close(code=CLOSE_CODE_NOT_FOUND)
