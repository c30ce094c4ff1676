"""How chat things look on the wire, the same on the websocket and in the API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from accounts.models import User
from chat.models import Message

# The on-demand size (MEDIA_ON_DEMAND_SIZES) a chat shows its images at.
CHAT_IMAGE_SIZE = "400x400"


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
        "image": None
        if message.image_id is None or message.deleted_at is not None
        else {
            "id": message.image_id,
            "url": reverse(
                "media:resized", kwargs={"image_id": message.image_id, "size": CHAT_IMAGE_SIZE}
            ),
        },
    }
