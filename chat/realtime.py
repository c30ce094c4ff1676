"""The one way chat events reach sockets (H2, H5): every write publishes through here, after
commit, whether it came from a socket, the API or a task."""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from core.realtime import group_send_nowait


def room_group(room_id: int) -> str:
    """Every socket, in any process, that follows a room."""
    return f"chat.room.{room_id}"


def user_group(user_id: int) -> str:
    """Every socket of one user, in any process: joins and leaves reach them all."""
    return f"chat.user.{user_id}"


def room_event_message(event: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message carrying ``event`` to a room: serialised once here, not once
    per receiving socket."""
    return {"type": "chat.event", "text": json.dumps(event, ensure_ascii=False, default=str)}


def chat_event_send(*, room_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` to every socket in the room once the current transaction commits."""
    message = room_event_message(event)
    transaction.on_commit(lambda: group_send_nowait(room_group(room_id), message))


def user_sockets_send(*, user_id: int, message: dict[str, Any]) -> None:
    """Send a control message (``chat.follow``, ``chat.unfollow``) to all of a user's sockets."""
    transaction.on_commit(lambda: group_send_nowait(user_group(user_id), message))
