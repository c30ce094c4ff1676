"""`/ws/chat/`: rooms over one websocket (H1-H7), across processes through the channel layer.

Protocol (docs/chat.md): client → server `join_room {room_id}`, `leave_room {room_id}`,
`send_message {room_id, content, reply_to?}`, `read {room_id, message_id}`, `ping`; server →
client `welcome {user_id}`, `joined_room`, `left_room`, `user_joined`, `user_left`,
`new_message {message}`, `read`, `pong`, `error {message, code?}`, and `ping` every
CHAT_PING_SECONDS. `joined_room` / `left_room` also come unasked when the user joins, creates or
leaves a room elsewhere (another socket, the API).

A socket is closed with 1008 when it has no valid session or `?token=`, with 1008 "Too many
connections" when its user opens one more than CHAT_MAX_CONNECTIONS_PER_USER (the oldest goes),
and with 4401 "Signed out" when its user logs out everywhere or changes password: a client may
connect again, and is refused then unless its credentials are still good (a page's session after
an API "log out everywhere").
A socket silent for CHAT_IDLE_SECONDS is closed (4408); one whose outgoing queue fills because
the client does not read is closed (4429), so it cannot grow server memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tokens import AccessTokenInvalid, access_token_decode
from chat import presence, selectors, services
from chat.models import Membership, Room
from chat.realtime import room_group, user_group
from core.consumers import CLOSE_POLICY_VIOLATION, CLOSE_SIGNED_OUT
from core.jsondepth import json_depth_exceeds
from core.throttling import rate_limit_hit

logger = logging.getLogger(__name__)

CLOSE_IDLE = 4408
CLOSE_NOT_READING = 4429
MAX_FRAME_CHARS = 16_384
# Frames are flat objects; deeper nesting is refused before parsing (json.loads recurses).
MAX_FRAME_DEPTH = 8


def _user_from_token(token: str) -> User | None:
    try:
        claims = access_token_decode(token=token)
    except AccessTokenInvalid:
        return None
    user = User.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None or user.token_generation != claims.token_generation:
        return None
    return user


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.closing = False
        self.language = self._language()
        self.user = await self._authenticated_user()
        # Accept first: a close before the handshake cannot carry a code for the client.
        await self.accept()
        if self.user is None:
            self.closing = True
            await self.close(code=CLOSE_POLICY_VIOLATION, reason="Authentication required")
            return
        self.outbox: asyncio.Queue[str] = asyncio.Queue(settings.CHAT_WS_QUEUE_LENGTH)
        self.last_heard = time.monotonic()
        self.rooms: set[int] = set()
        self.released = False
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        evicted = await database_sync_to_async(presence.connection_open)(
            user_id=self.user.pk, channel_name=self.channel_name
        )
        for channel in evicted:
            # A dead process's full channel must not fail this connection.
            with contextlib.suppress(ChannelFull):
                await self.channel_layer.send(channel, {"type": "chat.evict"})
        for room_id in await database_sync_to_async(self._member_room_ids)():
            await self._subscribe(room_id)
        self.tasks = [asyncio.create_task(self._write_outbox()),
                      asyncio.create_task(self._heartbeat())]  # fmt: skip
        self._queue({"type": "welcome", "user_id": self.user.pk, "rooms": sorted(self.rooms)})

    def _language(self) -> str:
        """The handshake's Accept-Language, as Django's pages choose theirs (Korean by default)."""
        header = dict(self.scope.get("headers", [])).get(b"accept-language", b"").decode("latin-1")
        for code, _quality in translation.trans_real.parse_accept_lang_header(header):
            with contextlib.suppress(LookupError):
                return translation.get_supported_language_variant(code)
        return settings.LANGUAGE_CODE

    async def _authenticated_user(self) -> User | None:
        token = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("token")
        if token:
            return await database_sync_to_async(_user_from_token)(token[0])
        user = self.scope.get("user")
        return user if user is not None and user.is_authenticated else None

    def _member_room_ids(self) -> list[int]:
        return list(
            Membership.objects.filter(user=self.user)
            .order_by("-joined_at")
            .values_list("room_id", flat=True)[: settings.CHAT_ROOMS_PER_CONNECTION]
        )

    async def _subscribe(self, room_id: int) -> None:
        await self.channel_layer.group_add(room_group(room_id), self.channel_name)
        self.rooms.add(room_id)

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "tasks", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._release()

    # --- outgoing ---------------------------------------------------------------------------

    def _queue(self, event: dict[str, Any] | str) -> None:
        text = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False,
                                                               default=str)  # fmt: skip
        if getattr(self, "closing", False):
            return
        try:
            self.outbox.put_nowait(text)
        except asyncio.QueueFull:
            self.closing = True
            # The client does not read: drop it rather than hold its backlog (H7).
            asyncio.ensure_future(self._close(CLOSE_NOT_READING, "Not reading"))

    async def _close(self, code: int, reason: str) -> None:
        """Close from the server's side and let go of everything at once: a client that does not
        read may never take the close frame (its write waits on a full socket), and then no
        disconnect follows; the server's protocol pings end that TCP connection later."""
        if getattr(self, "released", True) and self.closing:
            return  # closed already
        self.closing = True
        current = asyncio.current_task()
        for task in getattr(self, "tasks", []):
            if task is not current:
                task.cancel()
        await self._release()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.close(code=code, reason=reason), timeout=5)

    async def _release(self) -> None:
        """Leave the presence records and the groups (once; a room leaves the set only once its
        group has been left, so an interrupted release is finished by the next). Presence goes
        first: a failing group_discard (Redis pool exhausted when many sockets drop at once)
        must not leave the user shown online until the presence keys expire."""
        if getattr(self, "user", None) is not None and not getattr(self, "released", True):
            self.released = True
            await database_sync_to_async(presence.connection_close)(
                user_id=self.user.pk, channel_name=self.channel_name
            )
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        for room_id in list(getattr(self, "rooms", ())):
            await self.channel_layer.group_discard(room_group(room_id), self.channel_name)
            self.rooms.discard(room_id)

    async def _write_outbox(self) -> None:
        while True:
            await self.send(text_data=await self.outbox.get())

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(presence.heartbeat_seconds())
            if time.monotonic() - self.last_heard > settings.CHAT_IDLE_SECONDS:
                await self._close(CLOSE_IDLE, "Idle")
                return
            self._queue({"type": "ping"})
            await database_sync_to_async(presence.connection_touch)(
                user_id=self.user.pk, channel_name=self.channel_name
            )

    def _error(self, message: str, code: str | None = None) -> None:
        # Errors about the frame itself carry a stable code besides the translated message.
        self._queue({"type": "error", "message": message, **({"code": code} if code else {})})

    # --- incoming ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if getattr(self, "user", None) is None or self.closing:
            return  # refused or closing: nothing is answered
        self.last_heard = time.monotonic()
        with translation.override(self.language):
            await self._receive(text_data)

    async def _receive(self, text_data: str | None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            self._error(_("Send JSON text frames of at most 16 KB."), code="bad_frame")
            return
        if json_depth_exceeds(text_data, MAX_FRAME_DEPTH):
            self._error(_("A frame may nest at most %(depth)d levels.")
                        % {"depth": MAX_FRAME_DEPTH}, code="frame_too_deep")  # fmt: skip
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            self._error(_("Not JSON."), code="not_json")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self._error(_('Send an object with a "type".'))
            return
        handler = self.HANDLERS.get(frame["type"])
        if handler is None:
            self._error(_("Unknown type %(type)r.") % {"type": frame["type"][:40]})
            return
        if frame["type"] != "ping":
            # Every kind of frame counts: joins and reads are sent to the whole room too.
            allowed = await database_sync_to_async(rate_limit_hit)(
                scope="chat-frames", identity=str(self.user.pk),
                limit_per_minute=settings.CHAT_FRAMES_PER_MINUTE,
            )  # fmt: skip
            if not allowed.is_allowed:
                self._error(_("Too many requests: wait %(seconds)d s.")
                            % {"seconds": allowed.retry_after_seconds})  # fmt: skip
                return
        try:
            await handler(self, frame)
        except (ValidationError, PermissionDenied) as exc:
            self._error(" ".join(getattr(exc, "messages", None) or [str(exc)]))
        except Exception:  # a fault of ours must not end the socket or reach the client
            logger.exception("chat: handling %r failed", frame["type"])
            self._error(_("That could not be done; try again."))

    async def _room(self, frame: dict[str, Any]) -> Room | None:
        room_id = frame.get("room_id")
        if not isinstance(room_id, int) or isinstance(room_id, bool) or room_id < 1:
            self._error(_("room_id must be a room's id."))
            return None
        # A private room the user is not in answers as a missing one: ids are not probed.
        found = await database_sync_to_async(selectors.room_readable_by)(self.user.pk, room_id)
        if found is None:
            self._error(_("There is no room with this id."))
            return None
        return found[0]

    async def on_ping(self, frame: dict[str, Any]) -> None:
        self._queue({"type": "pong"})

    async def on_join_room(self, frame: dict[str, Any]) -> None:
        room = await self._room(frame)
        if room is None:
            return
        # The service tells the room of a newcomer and makes all the user's sockets follow it;
        # this one follows at once, so the reply finds it subscribed.
        await database_sync_to_async(services.room_join)(room=room, user=self.user)
        await self._subscribe(room.pk)
        self._queue({"type": "joined_room", "room_id": room.pk, "name": room.name})

    async def on_leave_room(self, frame: dict[str, Any]) -> None:
        room = await self._room(frame)
        if room is None:
            return
        if not await database_sync_to_async(services.room_leave)(room=room, user=self.user):
            self._error(_("You are not in this room."))
            return
        await self.channel_layer.group_discard(room_group(room.pk), self.channel_name)
        self.rooms.discard(room.pk)
        self._queue({"type": "left_room", "room_id": room.pk})

    async def on_send_message(self, frame: dict[str, Any]) -> None:
        room = await self._room(frame)
        if room is None:
            return
        content, reply_to, image = (
            frame.get("content", ""),
            frame.get("reply_to"),
            frame.get("image"),
        )
        if not isinstance(content, str):
            self._error(_("content must be text."))
            return
        if image is not None and not (isinstance(image, str) and _is_uuid(image)):
            self._error(_("image must be an image's id."))
            return
        if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
            self._error(_("reply_to must be a message's id."))
            return
        allowed = await database_sync_to_async(rate_limit_hit)(
            scope="chat-send", identity=str(self.user.pk),
            limit_per_minute=settings.CHAT_MESSAGES_PER_MINUTE,
        )  # fmt: skip
        if not allowed.is_allowed:
            self._error(_("Too many messages: wait %(seconds)d s.")
                        % {"seconds": allowed.retry_after_seconds})  # fmt: skip
            return
        # Stored, then sent to the room (this socket included) by the service after commit.
        await database_sync_to_async(services.message_send)(
            room=room, sender=self.user, content=content, reply_to_id=reply_to, image_id=image
        )

    async def on_read(self, frame: dict[str, Any]) -> None:
        room = await self._room(frame)
        if room is None:
            return
        message_id = frame.get("message_id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            self._error(_("message_id must be a message's id."))
            return
        await database_sync_to_async(services.messages_mark_read)(
            room=room, user=self.user, message_id=message_id
        )

    HANDLERS = {
        "ping": on_ping,
        "join_room": on_join_room,
        "leave_room": on_leave_room,
        "send_message": on_send_message,
        "read": on_read,
    }

    # --- from the channel layer -------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # A room event only queues text for this socket. Channels' dispatch first closes old
        # database connections, a hop to the sync thread per delivery: at 200 messages a second
        # into rooms of 50, thousands of hops a second on one thread (bench/chat_fanout.py).
        if message["type"] == "chat.event":
            self._queue(message["text"])
            return
        await super().dispatch(message)

    async def chat_follow(self, message: dict[str, Any]) -> None:
        # The user joined or created a room, through this socket, another or the API. A socket
        # that did not follow it yet (not the one that sent join_room) is told, as a tab or
        # app that did not ask would otherwise not know why the room's events arrive.
        room_id = message["room_id"]
        if self.closing:
            return
        is_new = room_id not in self.rooms
        await self._subscribe(room_id)
        if is_new:
            self._queue({"type": "joined_room", "room_id": room_id,
                         "name": message.get("name", "")})  # fmt: skip

    async def chat_unfollow(self, message: dict[str, Any]) -> None:
        room_id = message["room_id"]
        await self.channel_layer.group_discard(room_group(room_id), self.channel_name)
        if room_id in self.rooms:
            self.rooms.discard(room_id)
            self._queue({"type": "left_room", "room_id": room_id})

    async def chat_evict(self, message: dict[str, Any]) -> None:
        await self._close(CLOSE_POLICY_VIOLATION, "Too many connections")

    async def chat_revoke(self, message: dict[str, Any]) -> None:
        # The user signed out everywhere or changed password (chat.signals).
        await self._close(CLOSE_SIGNED_OUT, "Signed out")
