"""Demo chat (issue 8, item 10): rooms per popular stock and a general room, where demo investors
talk in Korean and English, loaded idempotently by seed_demo."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from chat import demo, selectors
from chat.models import Membership, Message, ReadReceipt, Room, RoomKind

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]{3,}")
STOCK_ROOMS = {
    "005930": "삼성전자 토론방",
    "000660": "SK하이닉스 토론방",
    "373220": "LG에너지솔루션 토론방",
    "207940": "삼성바이오로직스 토론방",
    "005380": "현대차 토론방",
    "012450": "한화에어로스페이스 토론방",
}


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (User, Room, Membership, Message, ReadReceipt)}  # fmt: skip


def test_the_scripts_hold_together():
    for code, members, demo_unread, lines in demo.ROOMS:
        assert len(set(members)) == len(members)
        assert 14 <= len(lines) <= 30, code
        assert 0 <= demo_unread < len(lines)
        for index, (sender, content, reply_to) in enumerate(lines):
            assert sender in members, (code, index)
            assert content.strip() and len(content) <= 500
            assert reply_to is None or 0 <= reply_to < index, (code, index)
        # The demo user's own messages are not among those left unread for them.
        assert all(sender != demo.DEMO_USERNAME for sender, *_ in lines[len(lines) - demo_unread :])
    assert {code for code, *_ in demo.ROOMS} == {None, *STOCK_ROOMS}


@pytest.mark.django_db(transaction=True)  # the cache stores only outside a pending transaction
def test_seed_demo_opens_stock_rooms_and_a_general_room_full_of_korean_and_english_talk():
    output = _seed()

    assert "7 new chat rooms" in output
    rooms = {room.name: room for room in Room.objects.select_related("stock")}
    assert set(rooms) == {demo.GENERAL_ROOM, *STOCK_ROOMS.values()}
    assert all(room.kind == RoomKind.PUBLIC for room in rooms.values())
    assert rooms[demo.GENERAL_ROOM].stock is None
    for code, name in STOCK_ROOMS.items():
        assert rooms[name].stock is not None and rooms[name].stock.code == code
    for room in rooms.values():
        assert 14 <= room.messages.count() <= 30, room.name

    contents = list(Message.objects.values_list("content", flat=True))
    assert sum(bool(HANGUL.search(c)) for c in contents) > len(contents) / 2
    assert sum(bool(LATIN.search(c)) and not HANGUL.search(c) for c in contents) >= 10
    assert any(HANGUL.search(c) and LATIN.search(c) for c in contents)  # mixed in one message
    assert any("삼성전자가" in c for c in contents)  # a particle attached to a name
    assert any(re.search(r"\b\d{6}\b", c) for c in contents)  # a stock code
    replies = Message.objects.filter(reply_to__isnull=False).select_related("reply_to")
    assert replies.count() >= 20
    assert all(reply.reply_to.room_id == reply.room_id for reply in replies)
    talkers = set(Message.objects.values_list("sender__username", flat=True))
    assert talkers == {*demo.CHATTERS, "demo"}
    assert not any(user.has_usable_password() for user in User.objects.filter(
        username__in=demo.CHATTERS))  # fmt: skip

    demo_user = User.objects.get(username="demo")
    listed = {room["name"]: room for room in selectors.room_list_for(demo_user.pk)}
    assert demo.GENERAL_ROOM in listed and "삼성전자 토론방" in listed
    assert len(listed) < len(rooms)  # other rooms are there to be found and joined
    assert listed[demo.GENERAL_ROOM]["unread"] > 0
    assert listed["삼성전자 토론방"]["stock"] == "005930"
    assert any(room["unread"] == 0 for room in listed.values())
    assert all(room["last_message"] is not None for room in listed.values())
    # The others have read everything: the demo user's messages show as read by them.
    mine = Message.objects.filter(sender=demo_user)
    assert mine.exists() and all(m.receipts.exists() for m in mine)

    # Korean search finds the name with its particle attached.
    found = selectors.message_search(demo_user.pk, "삼성전자")
    assert any("삼성전자가" in hit["content"] for hit in found["results"])

    before = _counts()
    assert "0 new chat rooms" in _seed()
    assert _counts() == before
    assert {room["name"]: room for room in selectors.room_list_for(demo_user.pk)} == listed


@pytest.mark.django_db
def test_without_stocks_or_the_demo_user_only_the_general_room_is_opened():
    out = StringIO()
    demo.seed_demo(stdout=out)

    assert [room.name for room in Room.objects.all()] == [demo.GENERAL_ROOM]
    assert "no demo user" in out.getvalue()
    assert "no stock 005930" in out.getvalue()
    general = Room.objects.get()
    assert general.memberships.count() == len(demo.CHATTERS)
    # The demo user's lines are left out, and replies to them stand alone.
    assert general.messages.count() == len(demo.ROOMS[0][3]) - 1
    assert not general.messages.filter(content__startswith="👍", reply_to__isnull=False).exists()
