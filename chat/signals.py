"""Chat's side of other apps' events: a user whose sessions all ended loses their open sockets."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.signals import user_sessions_revoked
from chat.realtime import user_group
from core.realtime import group_send_nowait


@receiver(user_sessions_revoked)
def sockets_close_for_revoked_user(sender: Any, user_id: int, **kwargs: Any) -> None:  # noqa: ANN401
    # Every socket of the user, in every process, closes (4401); one opened with a session that
    # is still valid (a page) reconnects, one opened with a revoked token is refused (1008).
    group_send_nowait(user_group(user_id), {"type": "chat.revoke"})
