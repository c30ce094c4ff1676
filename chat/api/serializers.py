from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from chat.models import RoomKind
from core.textsearch import searchable_chars
from stocks.models import Stock
from stocks.symbols import is_valid_code


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100)
    room = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=settings.CHAT_SEARCH_MAX_LIMIT,
        default=settings.CHAT_SEARCH_LIMIT,
    )  # fmt: skip
    offset = serializers.IntegerField(
        required=False, min_value=0, max_value=settings.CHAT_SEARCH_CANDIDATES, default=0
    )

    def validate_q(self, value: str) -> str:
        if searchable_chars(value) < settings.CHAT_SEARCH_MIN_CHARS:
            raise serializers.ValidationError(
                _("Search for a word of at least %(count)d letters or digits.")
                % {"count": settings.CHAT_SEARCH_MIN_CHARS}
            )
        return value


class SearchRoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SearchResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room = SearchRoomSerializer()
    sender = serializers.CharField(allow_null=True)
    content = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML-escaped content around the match, <mark>ed")
    created_at = serializers.DateTimeField()


class SearchPageSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)
    total = serializers.IntegerField(
        help_text="Matches, counted up to CHAT_SEARCH_CANDIDATES (1000): see total_is_exact"
    )
    has_more = serializers.BooleanField()
    total_is_exact = serializers.BooleanField(
        help_text="False when there are more matches than counted; the newest are searched"
    )


class PopularTermSerializer(serializers.Serializer):
    term = serializers.CharField()
    count = serializers.IntegerField(
        help_text="Distinct users who searched the term within CHAT_POPULAR_DAYS days"
    )


class RoomInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=RoomKind.choices, default=RoomKind.PUBLIC)
    stock = serializers.CharField(required=False, allow_blank=True, max_length=6)

    def validate_stock(self, code: str) -> Stock | None:
        if not code:
            return None
        stock = Stock.objects.filter(code=code).first() if is_valid_code(code) else None
        if stock is None:
            raise serializers.ValidationError(
                _("No listed stock has the code %(code)s.") % {"code": code[:6]}
            )
        return stock


class LastMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sender = serializers.DictField(allow_null=True)
    content = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    is_deleted = serializers.BooleanField()


class RoomOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    stock = serializers.CharField(allow_null=True)
    role = serializers.CharField()
    unread = serializers.IntegerField()
    last_message = LastMessageSerializer(allow_null=True)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class MessageImageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField(help_text="The image at 400x400, rendered on first use")


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    room_id = serializers.IntegerField()
    sender = UserSerializer(allow_null=True)
    content = serializers.CharField(allow_blank=True, help_text="Empty once deleted")
    reply_to = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    is_deleted = serializers.BooleanField()
    image = MessageImageSerializer(allow_null=True)


class HistoryMessageSerializer(MessageOutputSerializer):
    reply_count = serializers.IntegerField()
    read_count = serializers.IntegerField(help_text="Members who have read it")
    unread_count = serializers.IntegerField(help_text="Members (not its sender) yet to read it")


class HistoryQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, max_length=40, help_text="From a page's `next` (older) or `previous`"
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=settings.CHAT_HISTORY_MAX_LIMIT,
        default=settings.CHAT_HISTORY_LIMIT,
    )  # fmt: skip


class HistoryPageSerializer(serializers.Serializer):
    results = HistoryMessageSerializer(many=True, help_text="Newest first")
    next = serializers.CharField(allow_null=True, help_text="URL of the older page")
    previous = serializers.CharField(allow_null=True, help_text="URL of the newer page")


class MessageInputSerializer(serializers.Serializer):
    # Length, blank and control characters are checked by the service, with its messages.
    content = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    reply_to = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                        max_value=2**62)  # fmt: skip
    image = serializers.UUIDField(
        required=False, allow_null=True, help_text="One of your ready images (POST /media/images/)"
    )


class MessageEditSerializer(serializers.Serializer):
    content = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)


class ReadInputSerializer(serializers.Serializer):
    message_id = serializers.IntegerField(min_value=1, max_value=2**62)


class ReadOutputSerializer(serializers.Serializer):
    newly_read = serializers.IntegerField(help_text="Others' messages read by this call")
    last_read_message_id = serializers.IntegerField()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    joined_at = serializers.DateTimeField()
    is_online = serializers.BooleanField()
