"""Writes of the chat app: rooms, memberships, messages (H2, H14) and search terms (H13)."""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat.models import MemberRole, Membership, Message, ReadReceipt, Room, RoomKind
from chat.payloads import message_payload, user_payload
from chat.realtime import chat_event_send, user_sockets_send
from core.redis import RedisError, state_redis
from stocks.models import Stock


def room_create(
    *, creator: User, name: str, kind: str = RoomKind.PUBLIC, stock: Stock | None = None
) -> Room:
    """A room, with its creator as owner and first member: the creator's open sockets, in every
    process, follow it (as after a join), so a second tab or the app hears it too."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A room needs a name.")})
    if kind not in RoomKind.values:
        raise ValidationError({"kind": _("Choose public, private or direct.")})
    with transaction.atomic():
        room = Room.objects.create(name=name[:100], kind=kind, stock=stock, created_by=creator)
        Membership.objects.create(room=room, user=creator, role=MemberRole.OWNER)
        _sockets_follow(room=room, user=creator)
    return room


def _sockets_follow(*, room: Room, user: User) -> None:
    """After commit, every socket of the user starts following the room: whatever path made
    them a member (creation, a join) goes through here."""
    message = {"type": "chat.follow", "room_id": room.pk, "name": room.name}
    user_sockets_send(user_id=user.pk, message=message)


def room_join(*, room: Room, user: User) -> Membership:
    """Join a public room (private and direct rooms are by invitation: PermissionDenied).

    The history before joining counts as read: a newcomer has no backlog of unread messages,
    and no receipts are written for it. All of the user's sockets follow the room, and the room
    hears of the newcomer."""
    existing = Membership.objects.filter(room=room, user=user).first()
    if existing is not None:
        return existing
    if room.kind != RoomKind.PUBLIC:
        raise PermissionDenied(_("This room is by invitation only."))
    latest = Message.objects.filter(room=room).order_by("-id").values_list("pk", flat=True)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(room=room, user=user)
            # Read after the insert, in its transaction: a message committed in between is
            # then either counted read here or sent after the joiner was in the room.
            membership.last_read_message_id = latest.first()
            membership.save(update_fields=["last_read_message"])
            _sockets_follow(room=room, user=user)
            joined = {"type": "user_joined", "room_id": room.pk, "user": user_payload(user)}
            chat_event_send(room_id=room.pk, event=joined)
    except IntegrityError:  # joined meanwhile (another connection)
        return Membership.objects.get(room=room, user=user)
    return membership


def room_leave(*, room: Room, user: User) -> bool:
    """Leave a room; returns whether the user was a member. The user's sockets stop following
    it and the room hears of it."""
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(room=room, user=user).delete()
        if deleted:
            user_sockets_send(
                user_id=user.pk, message={"type": "chat.unfollow", "room_id": room.pk}
            )
            left = {"type": "user_left", "room_id": room.pk, "user": user_payload(user)}
            chat_event_send(room_id=room.pk, event=left)
    return bool(deleted)


def _content_checked(content: str) -> str:
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": _("A message cannot be empty.")})
    if len(content) > settings.CHAT_MESSAGE_MAX_CHARS:
        raise ValidationError(
            {"content": _("A message is at most %(count)d characters.")
                        % {"count": settings.CHAT_MESSAGE_MAX_CHARS}}
        )  # fmt: skip
    if "\x00" in content:
        raise ValidationError({"content": _("A message cannot contain NUL characters.")})
    try:
        content.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: not text PostgreSQL can store
        raise ValidationError({"content": _("A message must be valid text.")}) from exc
    return content


def _attached_image(sender: User, image_id: object) -> object:
    # Through our own foreign key: chat does not import the media app.
    images = Message._meta.get_field("image").related_model._default_manager
    image = images.filter(pk=image_id, owner=sender).select_related("blob").first()
    if image is None:
        raise ValidationError({"image": _("Attach one of your own images.")})
    if image.blob.status != "ready":
        raise ValidationError({"image": _("This image is not ready yet.")})
    return image


def message_send(
    *,
    room: Room,
    sender: User,
    content: str,
    reply_to_id: int | None = None,
    image_id: object = None,
) -> Message:
    """Store a message from a member of the room, optionally with one of the sender's ready
    images (then the text may be empty). Raises PermissionDenied for a non-member and
    ValidationError for bad content or a reply to a message of another room."""
    image = _attached_image(sender, image_id) if image_id is not None else None
    is_image_alone = image is not None and not (content or "").strip()
    content = "" if is_image_alone else _content_checked(content)
    reply_to = None
    if reply_to_id is not None:
        reply_to = Message.objects.filter(pk=reply_to_id, room=room).first()
        if reply_to is None:
            raise ValidationError({"reply_to": _("There is no such message in this room.")})
    message = Message(room=room, sender=sender, content=content, reply_to=reply_to, image=image)
    message.search_document = message.search_document_of_content()
    with transaction.atomic():
        # Locked, so a leave that commits meanwhile cannot let a former member write.
        if not Membership.objects.select_for_update().filter(room=room, user=sender).exists():
            raise PermissionDenied(_("Join the room to write in it."))
        message.save()
        event = {"type": "new_message", "message": message_payload(message)}
        chat_event_send(room_id=room.pk, event=event)
    return message


def message_edit(*, message: Message, editor: User, content: str) -> Message:
    """Change one's own message (not a deleted one)."""
    if message.sender_id != editor.pk:
        raise PermissionDenied(_("You can edit only your own messages."))
    content = _content_checked(content)
    with transaction.atomic():
        # Re-read under a lock: a delete that committed meanwhile must not be undone.
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("sender")
            .get(pk=message.pk)
        )
        if message.deleted_at is not None:
            raise ValidationError({"content": _("A deleted message cannot be edited.")})
        message.content = content
        message.search_document = message.search_document_of_content()
        message.edited_at = timezone.now()
        message.save(update_fields=["content", "search_document", "edited_at"])
        event = {"type": "message_edited", "message": message_payload(message)}
        chat_event_send(room_id=message.room_id, event=event)
    return message


def message_delete(*, message: Message, deleter: User) -> Message:
    """Soft-delete one's own message (H14): its text and search document are blanked, its place
    in the history and its replies stay."""
    if message.sender_id != deleter.pk:
        raise PermissionDenied(_("You can delete only your own messages."))
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("sender")
            .get(pk=message.pk)
        )
        if message.deleted_at is None:
            message.content = ""
            message.search_document = None
            message.deleted_at = timezone.now()
            message.save(update_fields=["content", "search_document", "deleted_at"])
            event = {"type": "message_deleted", "message": message_payload(message)}
            chat_event_send(room_id=message.room_id, event=event)
    return message


def search_term_key(day: str) -> str:
    """The day's sorted set: term -> distinct users who searched it that day."""
    return f"chat:search:terms:{day}"


def search_searchers_key(day: str, term: str) -> str:
    """The day's HyperLogLog of the users who searched ``term``: PFCOUNT over several days' keys
    counts the union, so a user searching on two days counts once."""
    return f"chat:search:searchers:{day}:{term}"


# Terms kept per day, those with the most distinct searchers. Search is not throttled, so
# without a cap one user typing random words would grow the day's keys without end; with it a
# day holds at most this many terms, each with a HyperLogLog (tens of bytes for a few searchers,
# 12 KB at most), for CHAT_POPULAR_DAYS + 1 days. A term enters at one searcher, so however many
# searches one user makes, they only evict other one-searcher terms (lowest count first, ties by
# name); an evicted term's HyperLogLog goes with it.
SEARCH_TERMS_PER_DAY = 1000

# KEYS: the day's sorted set, the term's HyperLogLog that day. ARGV: user id, term, expiry in
# seconds, SEARCH_TERMS_PER_DAY, the prefix of the day's HyperLogLog keys. One script, so the
# set and the HyperLogLogs never disagree about which terms are kept.
_RECORD_SEARCH = """
local added = redis.call('PFADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[3])
if added == 1 then
  redis.call('ZINCRBY', KEYS[1], 1, ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
  if excess > 0 then
    local evicted = redis.call('ZPOPMIN', KEYS[1], excess)
    for i = 1, #evicted, 2 do redis.call('DEL', ARGV[5] .. evicted[i]) end
  end
end
return added
"""


def normalised_search_term(query: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", query).casefold().split())[:100]


def search_term_record(*, query: str, user_id: int, day: date | None = None) -> None:
    """Count ``user_id`` as a searcher of the query's term on ``day`` (today by default) for the
    popular terms (H13): each user counts once per term, however often they search it. Best
    effort when Redis is down."""
    term = normalised_search_term(query)
    if not term:
        return
    stamp = f"{day or timezone.localdate():%Y%m%d}"
    ttl = (settings.CHAT_POPULAR_DAYS + 1) * 24 * 3600
    keys = [search_term_key(stamp), search_searchers_key(stamp, term)]
    prefix = search_searchers_key(stamp, "")
    with contextlib.suppress(RedisError):
        state_redis().eval(
            _RECORD_SEARCH, 2, *keys, user_id, term, ttl, SEARCH_TERMS_PER_DAY, prefix
        )


READ_BATCH_SIZE = 500


class ReadOutcome(NamedTuple):
    newly_read: int  # others' messages read by this call
    last_read_message_id: int  # the membership's, after it


def messages_mark_read(*, room: Room, user: User, message_id: int) -> ReadOutcome:
    """Mark everything in the room up to ``message_id`` read by ``user`` (H9): the membership's
    last read message moves forward (never back), and the receipts of the others' messages newly
    read are written in batches of READ_BATCH_SIZE."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(room=room, user=user).first()
        if membership is None:
            raise PermissionDenied(_("Join the room to read it."))
        if not Message.objects.filter(pk=message_id, room=room).exists():
            raise ValidationError({"message_id": _("There is no such message in this room.")})
        previous = membership.last_read_message_id or 0
        if message_id <= previous:
            return ReadOutcome(0, previous)
        newly_read = list(
            Message.objects.filter(room=room, pk__gt=previous, pk__lte=message_id)
            .exclude(sender=user)
            .values_list("pk", flat=True)
        )
        ReadReceipt.objects.bulk_create(
            [ReadReceipt(message_id=pk, user=user) for pk in newly_read],
            batch_size=READ_BATCH_SIZE, ignore_conflicts=True,
        )  # fmt: skip
        membership.last_read_message_id = message_id
        membership.save(update_fields=["last_read_message"])
        if newly_read:  # others' messages changed their read counts; one's own did not
            event = {"type": "read", "room_id": room.pk, "user_id": user.pk,
                     "message_id": message_id}  # fmt: skip
            chat_event_send(room_id=room.pk, event=event)
    return ReadOutcome(len(newly_read), message_id)
