"""WebSocket consumers that belong to no domain, and what every socket's frames share."""

import re

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


# What changes JSON nesting: brackets, and the quotes and backslashes that put them in strings.
_JSON_NESTING_CHARS = re.compile(r'[\[\]{}"\\]')


def json_nesting_exceeds(text: str, max_depth: int) -> bool:
    """Whether the JSON ``text`` nests arrays and objects deeper than ``max_depth``, judged
    without parsing it: json.loads recurses once per level, so a frame of ~1,000 brackets raises
    RecursionError (out of the consumer, killing the socket without a close frame). Linear in
    the text, whatever it is; invalid JSON may be judged either way, and json.loads refuses it."""
    if text.count("[") + text.count("{") <= max_depth:
        return False  # the common case, counted in C
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _JSON_NESTING_CHARS.finditer(text):
        char, at = match.group(), match.start()
        if at == escaped_at:
            continue  # the character after a backslash in a string
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif char in "]}":
            depth -= 1
    return False
