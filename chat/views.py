"""The chat page (/chat/, /chat/<room>/): the user's rooms with unread badges, public rooms to
join, one room's live view and message search. The page is served with the room list; history,
sending and search go through the API, live events through /ws/chat/ (static/js/chat.js)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from chat import selectors
from core.http import NotFoundWithReason


@login_required
@require_safe
def chat_page(request: HttpRequest, room_id: int | None = None) -> HttpResponse:
    rooms = selectors.room_list_for(request.user.pk)
    active, is_member = None, False
    # Without a room asked for, the first listed; the list may be a moment stale and name a
    # room just left, and then none is opened.
    shown_id = room_id if room_id is not None else (rooms[0]["id"] if rooms else None)
    found = selectors.room_readable_by(request.user.pk, shown_id) if shown_id else None
    if found is not None:
        active, is_member = found
    elif room_id is not None:
        raise NotFoundWithReason(_("There is no room with this number that you may read."))
    return render(request, "chat/chat.html", {
        "rooms": rooms,
        "public_rooms": selectors.public_rooms_to_join(request.user.pk),
        "active": active,
        "is_member": is_member,
    })  # fmt: skip
