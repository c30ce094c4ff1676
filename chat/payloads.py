"""How chat things look on the wire, the same on the websocket and in the API."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from chat.models import Message


def user_payload(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username()}


def message_payload(message: Message) -> dict[str, Any]:
    """A message as the websocket and the API show it (a deleted one has empty content)."""
    return {
        "id": message.pk,
        "room_id": message.room_id,
        "sender": None if message.sender_id is None else user_payload(message.sender),
        "content": message.content,
        "reply_to": message.reply_to_id,
        "created_at": message.created_at,
        "edited_at": message.edited_at,
        "is_deleted": message.deleted_at is not None,
    }
