"""Reads of the chat app: rooms (H10), message history (H9-H11), search (H8), popular search
terms (H13)."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchRank
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from cachekit import AnyRow, Row, cached
from chat import presence
from chat.models import MemberRole, Membership, Message, ReadReceipt, Room, RoomKind
from chat.payloads import message_payload, user_payload
from chat.services import search_searchers_key, search_term_key
from core.redis import RedisError, state_redis
from core.textsearch import TsQuery, search_query, search_terms

SNIPPET_CHARS = 120


def snippet(content: str, query: str) -> str:
    """The part of ``content`` around the first match, HTML-escaped, each term in <mark>."""
    terms = sorted({t for t in search_terms(query)}, key=len, reverse=True)
    if not terms:
        return html.escape(content[:SNIPPET_CHARS])
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    first = pattern.search(content)
    start = max(0, (first.start() if first else 0) - SNIPPET_CHARS // 3)
    window = content[start : start + SNIPPET_CHARS]
    marked, end = [], 0
    for match in pattern.finditer(window):
        marked += [html.escape(window[end : match.start()]),
                   f"<mark>{html.escape(match.group(0))}</mark>"]  # fmt: skip
        end = match.end()
    marked.append(html.escape(window[end:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(content) else ""
    return prefix + "".join(marked) + suffix


def _search_depends_on(user_id: int, room_id: int | None = None, **_: object) -> list:
    # Results move with the messages of the rooms searched only: a message elsewhere leaves them.
    rooms = [room_id] if room_id is not None else room_ids_of(user_id)
    return [Row(Membership, user_id=user_id), *(Row(Message, room_id=r) for r in rooms)]


@cached(namespace="chat", ttl="search_results", depends_on=_search_depends_on)
def message_search(
    user_id: int, q: str, room_id: int | None = None, limit: int = 20, offset: int = 0
) -> dict[str, Any]:
    """Messages matching ``q`` (Korean and English; see core.textsearch) in the rooms the user
    belongs to, by relevance then recency: ``{results, total, has_more, total_is_exact}``.

    The work is bounded whatever the word's frequency: relevance ranks the newest
    CHAT_SEARCH_CANDIDATES matches (a chat's recent talk is what its readers look for), and the
    total counts up to that many, then says it is a lower bound. Counting and ranking every one
    of 80,000 matches of a common word took 400 ms at 1M messages (bench/chat_search.py)."""
    query = search_query(q)
    if query is None:
        return {"results": [], "total": 0, "has_more": False, "total_is_exact": True}
    rooms = Membership.objects.filter(user_id=user_id).values("room_id")
    if room_id is not None:
        rooms = rooms.filter(room_id=room_id)
    cap = settings.CHAT_SEARCH_CANDIDATES
    newest = Message.objects.filter(
        room_id__in=rooms, deleted_at__isnull=True, search_document=TsQuery(query)
    ).order_by("-id")[: cap + 1]
    fetched = list(newest.values_list("id", flat=True))
    is_exact = len(fetched) <= cap
    candidate_ids = fetched[:cap]
    total = len(candidate_ids)
    page = (
        Message.objects.filter(pk__in=candidate_ids)
        .annotate(rank=SearchRank(F("search_document"), TsQuery(query)))
        .select_related("room", "sender")
        .defer("search_document")
        .order_by("-rank", "-created_at", "-id")[offset : offset + limit]
    )
    results = [
        {"id": m.pk, "room": {"id": m.room_id, "name": m.room.name},
         "sender": m.sender.get_username() if m.sender else None, "content": m.content,
         "snippet": snippet(m.content, q), "created_at": m.created_at, "rank": m.rank}
        for m in page
    ]  # fmt: skip
    return {
        "results": results,
        "total": total,
        "has_more": offset + len(results) < total,
        "total_is_exact": is_exact,
    }


# Terms whose distinct searchers are counted exactly (PFCOUNT), chosen by their summed daily
# counts, which are at least that (a user on two days counts on both).
POPULAR_CANDIDATES = 100


# Version 2: counts are distinct searchers, and a term needs CHAT_POPULAR_MIN_SEARCHERS of them;
# lists cached under version 1 could show one user's search.
@cached(namespace="chat", ttl="popular_search_terms", version=2)
def popular_search_terms() -> list[dict[str, Any]]:
    """The terms searched by the most distinct users over the last CHAT_POPULAR_DAYS days, most
    first (H13). A term is listed only once CHAT_POPULAR_MIN_SEARCHERS users searched it: one
    user's search is theirs, not a trend to show everyone."""
    today = timezone.localdate()
    days = [f"{today - timedelta(days=n):%Y%m%d}" for n in range(settings.CHAT_POPULAR_DAYS)]
    least = max(settings.CHAT_POPULAR_MIN_SEARCHERS, 1)
    try:
        client = state_redis()
        pipe = client.pipeline(transaction=False)
        for day in days:  # SEARCH_TERMS_PER_DAY terms a day at most
            pipe.zrange(search_term_key(day), 0, -1, withscores=True)
        summed: Counter[str] = Counter()
        for ranked in pipe.execute():
            for term, score in ranked:
                summed[term] += int(score)
        candidates = sorted((t for t, n in summed.items() if n >= least),
                            key=lambda t: (-summed[t], t))[:POPULAR_CANDIDATES]  # fmt: skip
        pipe = client.pipeline(transaction=False)
        for term in candidates:
            pipe.pfcount(*(search_searchers_key(day, term) for day in days))
        searchers = dict(zip(candidates, pipe.execute(), strict=True))
    except RedisError:
        return []
    listed = sorted((t for t, n in searchers.items() if n >= least),
                    key=lambda t: (-searchers[t], t))[: settings.CHAT_POPULAR_TERMS]  # fmt: skip
    return [{"term": term, "count": searchers[term]} for term in listed]


@cached(namespace="chat", ttl="chat_rooms", depends_on=lambda user_id: [
    Row(Membership, user_id=user_id)])  # fmt: skip
def room_ids_of(user_id: int) -> list[int]:
    """The ids of the rooms the user belongs to."""
    return list(Membership.objects.filter(user_id=user_id).values_list("room_id", flat=True))


def _rooms_depend_on(user_id: int, **_: object) -> list:
    # Unread counts and last messages move with the messages of the user's own rooms only: a
    # message elsewhere leaves this list cached.
    rooms = [Row(Message, room_id=room_id) for room_id in room_ids_of(user_id)]
    return [Row(Membership, user_id=user_id), AnyRow(Room), *rooms]


@cached(namespace="chat", ttl="chat_rooms", depends_on=_rooms_depend_on)
def room_list_for(user_id: int) -> list[dict[str, Any]]:
    """The user's rooms with their unread counts and last messages, newest activity first, in
    two queries whatever their number (H10)."""
    memberships = (
        Membership.objects.filter(user_id=user_id)
        .select_related("room", "room__stock")
        .annotate(
            unread=Count(
                "room__messages",
                filter=Q(room__messages__id__gt=Coalesce(F("last_read_message_id"), 0))
                & ~Q(room__messages__sender_id=user_id)
                & Q(room__messages__deleted_at__isnull=True),
            ),
            last_message_id=Max("room__messages__id"),
        )
    )
    rows = list(memberships)
    last = {
        m.pk: m
        for m in Message.objects.filter(
            pk__in=[row.last_message_id for row in rows if row.last_message_id]
        )
        .select_related("sender")
        .defer("search_document")
    }
    rooms = [
        {"id": row.room_id, "name": row.room.name, "kind": row.room.kind,
         "stock": row.room.stock.code if row.room.stock_id else None, "role": row.role,
         "unread": row.unread,
         "last_message": message_payload(last[row.last_message_id])
         if row.last_message_id in last else None}
        for row in rows
    ]  # fmt: skip
    rooms.sort(key=lambda room: -(room["last_message"]["id"] if room["last_message"] else 0))
    return rooms


def room_readable_by(user_id: int, room_id: int) -> tuple[Room, bool] | None:
    """The room and whether the user is a member, if the user may read it: members read any
    room they belong to, anyone reads a public room's history. None otherwise (a 404: a private
    room is not even known to exist). One query."""
    room = (
        Room.objects.filter(pk=room_id)
        .annotate(
            is_member=Exists(Membership.objects.filter(room=OuterRef("pk"), user_id=user_id))
        )  # fmt: skip
        .first()
    )
    if room is None or (not room.is_member and room.kind != RoomKind.PUBLIC):
        return None
    return room, room.is_member


def _count_of(queryset: Any, group_field: str) -> Subquery:
    return Coalesce(
        Subquery(queryset.values(group_field).annotate(n=Count("*")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def _page_depends_on(room_id: int, **_: object) -> list:
    return [Row(Message, room_id=room_id)]


@cached(namespace="chat", ttl="chat_messages", depends_on=_page_depends_on)
def message_page(
    room_id: int, before_id: int | None = None, after_id: int | None = None, limit: int = 50
) -> dict[str, Any]:
    """One page of a room's history, newest first (H11): the ``limit`` messages before
    ``before_id``, or after ``after_id``, or the latest. Each carries its reply count (H9).
    ``{messages, has_older, has_newer}``; two or three queries, then cached until a message of
    the room changes (H10)."""
    replies = Message.objects.filter(reply_to=OuterRef("pk"), deleted_at__isnull=True)
    history = (
        Message.objects.filter(room_id=room_id)
        .select_related("sender")
        .defer("search_document")
        .annotate(reply_count=_count_of(replies, "reply_to"))
    )
    if after_id is not None:
        rows = list(history.filter(pk__gt=after_id).order_by("id")[: limit + 1])
        has_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        has_older = Message.objects.filter(room_id=room_id, pk__lte=after_id).exists()
    else:
        older = history.filter(pk__lt=before_id) if before_id is not None else history
        rows = list(older.order_by("-id")[: limit + 1])
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before_id is not None and (
            Message.objects.filter(room_id=room_id, pk__gte=before_id).exists()
        )
    messages = [{**message_payload(m), "reply_count": m.reply_count} for m in rows]
    return {"messages": messages, "has_older": has_older, "has_newer": has_newer}


def message_read_counts(message_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each message, how many have read it (its receipts) and how many members have not
    yet (members other than its sender, there when it was sent, whose last read is before it):
    one query for a page of any size (H9). Not cached: it moves with every read."""
    receipts = ReadReceipt.objects.filter(message_id=OuterRef("pk"))
    waiting = Membership.objects.filter(
        Q(last_read_message_id__isnull=True) | Q(last_read_message_id__lt=OuterRef("pk")),
        room_id=OuterRef("room_id"),
        joined_at__lte=OuterRef("created_at"),
    ).exclude(user_id=Coalesce(OuterRef("sender_id"), 0))  # a deleted sender is NULL
    rows = (
        Message.objects.filter(pk__in=message_ids)
        .annotate(read_count=_count_of(receipts, "message_id"),
                  unread_count=_count_of(waiting, "room_id"))
        .values_list("pk", "read_count", "unread_count")
    )  # fmt: skip
    return {pk: {"read_count": read, "unread_count": unread} for pk, read, unread in rows}


def room_members(room_id: int) -> Any:
    """A room's memberships with their users, owners first then by joining (a queryset, so the
    API can paginate it)."""
    return (
        Membership.objects.filter(room_id=room_id)
        .select_related("user")
        .order_by(Case(When(role=MemberRole.OWNER, then=0), default=1), "joined_at", "id")
    )


def members_payload(memberships: list[Membership]) -> list[dict[str, Any]]:
    """Members as the API shows them, with who is online now in any process (H4)."""
    online = presence.online_among([m.user_id for m in memberships])
    return [
        {**user_payload(m.user), "role": m.role, "joined_at": m.joined_at,
         "is_online": m.user_id in online}
        for m in memberships
    ]  # fmt: skip


def public_rooms_to_join(user_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """Public rooms the user is not in, the busiest first (one query)."""
    rooms = (
        Room.objects.filter(kind=RoomKind.PUBLIC)
        .exclude(memberships__user_id=user_id)
        .annotate(member_count=Count("memberships"))
        .select_related("stock")
        .order_by("-member_count", "name", "id")[:limit]
    )
    return [{"id": room.pk, "name": room.name, "members": room.member_count,
             "stock": room.stock.code if room.stock_id else None} for room in rooms]  # fmt: skip
