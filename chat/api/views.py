"""Chat API for the mobile apps: rooms (H2, H10), members, message history with cursors (H11),
send / edit / soft-delete (H14), read up to a message (H9), search (H8), popular terms (H13).

Writes go through chat.services, which also tell the room's sockets in every process."""

from __future__ import annotations

import base64
import binascii

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import (
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import selectors, services
from chat.api.serializers import (
    HistoryPageSerializer,
    HistoryQuerySerializer,
    MemberSerializer,
    MessageEditSerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
    PopularTermSerializer,
    ReadInputSerializer,
    ReadOutputSerializer,
    RoomInputSerializer,
    RoomOutputSerializer,
    SearchPageSerializer,
    SearchQuerySerializer,
)
from chat.models import Message, Room
from chat.payloads import message_payload
from core.openapi import error_response
from core.throttling import UserWriteThrottle


class MessageSearchView(APIView):
    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses={
            200: SearchPageSerializer,
            404: error_response("`room` is not a room the caller is a member of"),
        },
    )
    def get(self, request: Request) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        room_id = data.get("room")
        if (
            room_id is not None and room_id not in selectors.room_ids_of(request.user.pk)  # cached
        ):
            raise NotFound(_("You are not a member of a room with this id."))
        services.search_term_record(query=data["q"], user_id=request.user.pk)
        page = selectors.message_search(
            request.user.pk, data["q"], room_id, data["limit"], data["offset"]
        )
        return Response(SearchPageSerializer(page).data)


class PopularTermsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: PopularTermSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(PopularTermSerializer(selectors.popular_search_terms(), many=True).data)


def _room_row(request: Request, room: Room) -> dict:
    """The room as the user's room list shows it."""
    rows = [r for r in selectors.room_list_for(request.user.pk) if r["id"] == room.pk]
    if rows:
        return rows[0]
    return {"id": room.pk, "name": room.name, "kind": room.kind, "stock": None,
            "role": "member", "unread": 0, "last_message": None}  # fmt: skip


class RoomListView(APIView):
    @extend_schema(responses={200: RoomOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(RoomOutputSerializer(selectors.room_list_for(request.user.pk),
                                             many=True).data)  # fmt: skip

    @extend_schema(request=RoomInputSerializer, responses={201: RoomOutputSerializer})
    def post(self, request: Request) -> Response:
        data = RoomInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_create(creator=request.user, **data.validated_data)
        return Response(RoomOutputSerializer(_room_row(request, room)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


class RoomJoinView(APIView):
    @extend_schema(request=None, responses={200: RoomOutputSerializer})
    def post(self, request: Request, room_id: int) -> Response:
        # A private room one is not in is a 404, as if it did not exist: ids are not probed.
        room, _is_member = _readable_room(request, room_id)
        services.room_join(room=room, user=request.user)
        return Response(RoomOutputSerializer(_room_row(request, room)).data)


class RoomLeaveView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, room_id: int) -> Response:
        room, _is_member = _readable_room(request, room_id)
        if not services.room_leave(room=room, user=request.user):
            raise NotFound(_("You are not a member of this room."))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _readable_room(request: Request, room_id: int) -> tuple[Room, bool]:
    found = selectors.room_readable_by(request.user.pk, room_id)
    if found is None:
        raise NotFound(_("There is no room with this id that you may read."))
    return found


def _member_room(request: Request, room_id: int) -> Room:
    room, is_member = _readable_room(request, room_id)
    if not is_member:
        raise PermissionDenied(_("Join the room first."))
    return room


# A cursor names a message and a direction: "o<id>" for what is older than it, "n<id>" for what
# is newer. It is opaque to clients (base64), so its form may change.
def _cursor_encode(direction: str, message_id: int) -> str:
    return base64.urlsafe_b64encode(f"{direction}{message_id}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        direction, message_id = raw[0], int(raw[1:])
    except (binascii.Error, UnicodeDecodeError, ValueError, IndexError):
        raise ValidationError({"cursor": [_("Not a cursor from this API.")]}) from None
    if direction not in "on" or not 0 < message_id < 2**62:
        raise ValidationError({"cursor": [_("Not a cursor from this API.")]})
    return direction, message_id


def _page_link(request: Request, direction: str, message_id: int, limit: int) -> str:
    url = request.build_absolute_uri(request.path)
    return f"{url}?cursor={_cursor_encode(direction, message_id)}&limit={limit}"


class ChatSendThrottle(UserWriteThrottle):
    # The websocket's budget too: a user cannot double it by using both.
    scope = "chat-send"
    limit_setting = "CHAT_MESSAGES_PER_MINUTE"


class RoomMessagesView(APIView):
    throttle_classes = [ChatSendThrottle]

    @extend_schema(parameters=[HistoryQuerySerializer], responses={200: HistoryPageSerializer})
    def get(self, request: Request, room_id: int) -> Response:
        """The room's history, newest first, a page at a time (H11), with each message's reply,
        read and unread counts (H9). Members read their rooms; anyone reads a public room."""
        room, _is_member = _readable_room(request, room_id)
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = query.validated_data["limit"]
        before_id = after_id = None
        if "cursor" in query.validated_data:
            direction, message_id = _cursor_decode(query.validated_data["cursor"])
            before_id, after_id = (message_id, None) if direction == "o" else (None, message_id)
        page = selectors.message_page(room.pk, before_id, after_id, limit)
        messages = page["messages"]
        counts = selectors.message_read_counts([m["id"] for m in messages])
        results = [{**m, **counts.get(m["id"], {"read_count": 0, "unread_count": 0})}
                   for m in messages]  # fmt: skip
        older = messages and page["has_older"]
        newer = messages and page["has_newer"]
        body = {
            "results": results,
            "next": _page_link(request, "o", messages[-1]["id"], limit) if older else None,
            "previous": _page_link(request, "n", messages[0]["id"], limit) if newer else None,
        }
        return Response(HistoryPageSerializer(body).data)

    @extend_schema(request=MessageInputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request: Request, room_id: int) -> Response:
        """Send a message (members only); every socket in the room gets `new_message`."""
        room = _member_room(request, room_id)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_send(
            room=room, sender=request.user, content=data.validated_data["content"],
            reply_to_id=data.validated_data.get("reply_to"),
            image_id=data.validated_data.get("image"),
        )  # fmt: skip
        return Response(MessageOutputSerializer(message_payload(message)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


class MessageDetailView(APIView):
    def _message(self, request: Request, room_id: int, message_id: int) -> Message:
        room = _member_room(request, room_id)  # a former member's messages stay as they are
        message = Message.objects.select_related("sender").filter(pk=message_id, room=room).first()
        if message is None:
            raise NotFound(_("There is no message with this id in this room."))
        return message

    @extend_schema(request=MessageEditSerializer, responses={200: MessageOutputSerializer})
    def patch(self, request: Request, room_id: int, message_id: int) -> Response:
        """Edit one's own message; the room gets `message_edited`."""
        message = self._message(request, room_id, message_id)
        data = MessageEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_edit(
            message=message, editor=request.user, content=data.validated_data["content"]
        )
        return Response(MessageOutputSerializer(message_payload(message)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, room_id: int, message_id: int) -> Response:
        """Soft-delete one's own message (H14): its place stays, its text goes; the room gets
        `message_deleted`."""
        message = self._message(request, room_id, message_id)
        services.message_delete(message=message, deleter=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomReadView(APIView):
    @extend_schema(request=ReadInputSerializer, responses={200: ReadOutputSerializer})
    def post(self, request: Request, room_id: int) -> Response:
        """Mark the room read up to a message; receipts are written in batches (H9)."""
        room = _member_room(request, room_id)
        data = ReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.messages_mark_read(
            room=room, user=request.user, message_id=data.validated_data["message_id"]
        )
        return Response(outcome._asdict())


class MembersPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class RoomMembersView(APIView):
    pagination_class = MembersPagination  # also what the schema documents

    @extend_schema(responses={200: MemberSerializer(many=True)})
    def get(self, request: Request, room_id: int) -> Response:
        """The room's members, owners first, with who is online now (H4)."""
        room, _is_member = _readable_room(request, room_id)
        paginator = self.pagination_class()
        memberships = paginator.paginate_queryset(selectors.room_members(room.pk), request, self)
        return paginator.get_paginated_response(
            MemberSerializer(selectors.members_payload(memberships), many=True).data
        )
