"""Pipelines' side of account events: a staff dashboard's live socket outlives neither its
user's sessions nor their staff status."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.signals import user_sessions_revoked
from core.consumers import CLOSE_POLICY_VIOLATION, CLOSE_SIGNED_OUT
from core.realtime import group_send_nowait

# Fields whose change can end staff access: a save naming none of them (last_login) is skipped.
ACCESS_FIELDS = frozenset({"is_staff", "is_active"})


def viewer_group(user_id: int) -> str:
    """The group of one staff member's /ws/pipelines/ sockets, in every process."""
    return f"pipelines.viewer.{user_id}"


def _sockets_close(user_id: int, code: int) -> None:
    group_send_nowait(viewer_group(user_id), {"type": "pipelines.revoke", "code": code})


@receiver(user_sessions_revoked)
def sockets_close_for_revoked_user(sender: Any, user_id: int, **kwargs: Any) -> None:  # noqa: ANN401
    _sockets_close(user_id, CLOSE_SIGNED_OUT)


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def sockets_close_for_lost_staff_access(
    sender: Any,  # noqa: ANN401
    instance: Any,  # noqa: ANN401
    created: bool,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,  # noqa: ANN401
) -> None:
    if created or (instance.is_staff and instance.is_active):
        return
    if update_fields is not None and not ACCESS_FIELDS & set(update_fields):
        return
    user_id = instance.pk
    transaction.on_commit(lambda: _sockets_close(user_id, CLOSE_POLICY_VIOLATION))
