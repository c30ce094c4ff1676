"""Demo data of the chat app: a discussion room for each of the six largest listings and a general
room, where a few demo investors talk in Korean and English, loaded by seed_demo.

Everything is written through chat.services, as a live site would: the rooms, the members, the
messages (some of them replies) and what each member has read. The demo user belongs to the
general room and some of the stock rooms, with the latest few messages of most of them left
unread so the unread badges show; the other stock rooms are there to be found and joined.

Idempotent by room name: a room that exists already is left alone, messages and all.
"""

from __future__ import annotations

from typing import TextIO

from accounts.models import User
from chat import services
from chat.models import Room, RoomKind
from stocks.models import Stock

DEMO_USERNAME = "demo"  # accounts.demo's investor
# The demo investors who do the talking; they have no usable password.
CHATTERS = ("개미왕", "value_kim", "반도체덕후", "jenny_seoul", "chartist_lee")

GENERAL_ROOM = "자유 토론 / General"


def stock_room_name(stock: Stock) -> str:
    return f"{stock.name_ko} 토론방"


# A message: sender, content, and the index in the same room of the message it replies to.
Line = tuple[str, str, int | None]
# A room: its stock's code (None: the general room), its members (the first creates it), how
# many of the latest messages the demo user has not read yet (when a member), and its messages.
RoomScript = tuple[str | None, tuple[str, ...], int, tuple[Line, ...]]

ROOMS: tuple[RoomScript, ...] = (
    (None, ("개미왕", "value_kim", "반도체덕후", "jenny_seoul", "chartist_lee", DEMO_USERNAME),
     4, (
        ("개미왕", "다들 좋은 아침입니다 ☀️ 오늘 코스피 출발은 어떨까요?", None),
        ("jenny_seoul", "Morning! Futures look flat, foreigners still on the sidelines.", None),
        ("chartist_lee", "코스피가 박스권 상단에서 계속 막히네요. "
                         "돌파하려면 거래량이 더 붙어야 할 듯", None),
        ("value_kim", "외국인이 관망하는 장에서는 무리하지 않는 게 답이죠. "
                      "Cash is a position too.", None),
        ("반도체덕후", "그래도 반도체는 업황 회복 기대감이 살아 있어서 저는 계속 홀딩합니다", None),
        (DEMO_USERNAME, "저는 이번 달도 정기 매수했어요. 적립식이 마음은 제일 편하네요", None),
        ("value_kim", "👍 좋은 습관입니다. 타이밍 맞추는 것보다 꾸준함이 이깁니다", 5),
        ("jenny_seoul", "Question for everyone: how do you follow Korean disclosures? "
                        "DART in English is pretty limited.", None),
        ("개미왕", "DART 앱에서 알림 설정해 두면 공시 뜨자마자 와요! "
                   "번역기 돌리면 대충 읽을 만합니다", 7),
        ("jenny_seoul", "Thanks! 감사합니다 🙏", 8),
        ("chartist_lee", "NAVER가 AI 검색 서비스 출시했다는 뉴스 보셨어요?", None),
        ("반도체덕후", "봤어요. 근데 NAVER랑 카카오는 플랫폼 규제 이슈가 계속 발목을 잡네요", 10),
        ("value_kim", "Regulation risk gets priced in at some point. "
                      "카카오는 아직 밸류에이션 부담이 있다고 봅니다", None),
        ("개미왕", "카카오는 물린 사람이 너무 많아서 ㅠㅠ 저도 그중 하나…", None),
        ("jenny_seoul", "Hang in there 😅 Averaging down or just waiting?", 13),
        ("개미왕", "일단 존버입니다 ㅋㅋ 더 사기엔 비중이 이미 커서요", 14),
        ("chartist_lee", "오후장 들어서 외국인이 순매수로 돌아섰네요. "
                         "삼성전자, SK하이닉스 위주로 들어오는 중", None),
        ("value_kim", "오늘 장 마감 후에 실적 발표하는 종목들 체크해 두세요 📅", None),
        ("반도체덕후", "다들 오늘도 수고하셨습니다. 내일 봐요!", None),
    )),
    ("005930", ("반도체덕후", "개미왕", "value_kim", "chartist_lee", DEMO_USERNAME), 3, (
        ("반도체덕후", "메모리 가격 반등 뉴스 떴네요. 삼성전자가 드디어 움직이려나요", None),
        ("개미왕", "삼성전자는 국민주라 오르면 다 같이 웃고 내리면 다 같이 울죠 ㅋㅋ", None),
        ("value_kim", "005930 PBR 기준으로 보면 아직 역사적 하단 근처입니다. "
                      "Downside looks limited.", None),
        ("chartist_lee", "일봉상 20일선 위로 올라왔어요. 거래량도 평소보다 많고요", None),
        ("반도체덕후", "이번에는 진짜 추세 전환이면 좋겠네요", 3),
        (DEMO_USERNAME, "배당이 분기마다 나오니까 기다리는 동안 배당 받는 셈 치려고요", None),
        ("value_kim", "맞아요. 분기 배당 덕분에 장기 보유하기 편한 종목이죠", 5),
        ("개미왕", "근데 HBM 쪽은 SK하이닉스한테 밀린다는 얘기가 계속 나오던데요", None),
        ("반도체덕후", "HBM은 아직 격차가 있는 게 맞아요. 그래도 범용 D램 가격이 오르면 "
                       "삼성전자의 이익 레버리지가 제일 큽니다", 7),
        ("chartist_lee", "외국인 지분율 추이도 같이 보세요. 요즘 꾸준히 늘고 있어요", None),
        ("value_kim", "The buyback matters too. 자사주 소각까지 하면 "
                      "주주환원 측면에서 꽤 괜찮습니다", None),
        ("개미왕", "우선주(005935)랑 본주 중에 뭐가 나을까요?", None),
        ("value_kim", "배당이 목적이면 우선주가 수익률이 조금 더 높고, 유동성은 본주가 낫습니다",
         11),
        ("반도체덕후", "파운드리 적자 폭이 줄어드는지가 다음 실적의 핵심일 듯", None),
        ("chartist_lee", "종가로 전고점을 돌파하면 다음 저항선까지는 열려 있어요", None),
        ("개미왕", "삼성전자 주가는 늘 기대 반 걱정 반이네요 ㅎㅎ", None),
        ("반도체덕후", "잠정실적 발표일이 다가오니까 변동성이 커질 수 있어요. "
                       "다들 비중 조절 잘 하세요", None),
        ("value_kim", "Patience pays with this one. 길게 보고 갑시다", None),
    )),
    ("000660", ("반도체덕후", "jenny_seoul", "chartist_lee", "value_kim", DEMO_USERNAME), 0, (
        ("반도체덕후", "SK하이닉스가 HBM 매출 사상 최대를 찍었네요 🔥", None),
        ("jenny_seoul", "Record HBM sales, beat estimates across the board. "
                        "This is the AI trade in Korea.", None),
        ("chartist_lee", "실적 발표 직후 갭상승으로 출발했어요. 갭을 메우는지 지켜봐야 합니다",
         None),
        ("value_kim", "000660 is cyclical though. 메모리 사이클 고점에서 사면 오래 고생합니다",
         None),
        ("반도체덕후", "예전 사이클이랑 다른 점은 HBM이 장기 공급 계약 구조라는 거예요. "
                       "가시성이 훨씬 좋아졌어요", 3),
        ("jenny_seoul", "Good point. Customers commit to volumes a year ahead, right?", 4),
        ("반도체덕후", "Yes, mostly. 그래서 이번에는 슈퍼사이클이라는 말까지 나오죠", 5),
        (DEMO_USERNAME, "저는 절반은 익절했어요. 나머지는 계속 가져갑니다", None),
        ("chartist_lee", "분할 매도 좋네요. 수익 실현도 실력입니다 👏", 7),
        ("value_kim", "PER로 보면 아직 과하지 않은데, 경쟁사 증설 속도는 체크해야 해요", None),
        ("jenny_seoul", "Any thoughts on Micron's results next week? "
                        "Could move the whole sector.", None),
        ("반도체덕후", "마이크론 가이던스가 좋으면 하이닉스도 같이 갈 가능성이 높아요", 10),
        ("chartist_lee", "거래대금이 코스피 전체에서 상위권이에요. 관심이 확실히 쏠렸네요", None),
        ("value_kim", "다들 레버리지는 조심하시고요 🙏", None),
        ("jenny_seoul", "Agreed. Position sizing > stock picking.", 13),
        ("반도체덕후", "하이닉스가 한국 증시의 AI 대장주라는 건 이제 부정하기 어렵네요", None),
        ("chartist_lee", "오늘은 고가 대비 조금 밀렸지만 추세는 살아 있습니다", None),
    )),
    ("373220", ("jenny_seoul", "value_kim", "개미왕", "chartist_lee"), 0, (
        ("jenny_seoul", "LG Energy Solution just signed a battery supply deal "
                        "with a US carmaker!", None),
        ("개미왕", "LG에너지솔루션이 미국 완성차 업체랑 공급 계약했다네요. 규모가 꽤 크대요",
         None),
        ("value_kim", "373220은 계약 소식보다 마진이 관건이에요. "
                      "미국 세액공제 의존도가 높아서요", None),
        ("chartist_lee", "뉴스 나오고 장 초반에 급등했다가 윗꼬리를 달았어요", None),
        ("개미왕", "뉴스에 팔라는 말이 괜히 있는 게 아니네요 ㅠ", 3),
        ("jenny_seoul", "EV demand in the US has been soft, "
                        "so a long-term contract is reassuring.", None),
        ("value_kim", "True, but pricing is usually linked to metal prices. "
                      "리튬 가격에 따라 실적이 출렁일 수 있어요", 5),
        ("개미왕", "에코프로비엠은 수요 둔화 경고에 급락했던데 "
                   "2차전지 전체가 같이 빠질까 걱정이에요", None),
        ("chartist_lee", "오늘 보면 셀 업체랑 소재 업체 흐름이 따로 놀아요. 나눠서 보세요", 7),
        ("jenny_seoul", "ESS demand is another angle. Data centers need a lot of storage.", None),
        ("value_kim", "ESS 비중이 커지면 밸류에이션 논리가 달라질 수 있죠", 9),
        ("개미왕", "길게 보면 배터리는 결국 커지는 시장이니까 저는 적립식으로 모아 갑니다", None),
        ("chartist_lee", "60일선 근처에서 지지받는지 보고 있어요", None),
        ("jenny_seoul", "Let's see how the stock reacts after the conference call 🔋", None),
        ("value_kim", "컨퍼런스콜에서 북미 공장 가동률 얘기가 나오면 공유할게요", 13),
    )),
    ("207940", ("value_kim", "개미왕", "jenny_seoul"), 0, (
        ("value_kim", "삼성바이오로직스는 CDMO 수주 잔고가 계속 쌓이는 게 포인트입니다", None),
        ("jenny_seoul", "Samsung Biologics is one of the few Korean names "
                        "global funds hold for the long term.", None),
        ("개미왕", "주가가 비싸서 1주 사기도 부담스러워요 ㅋㅋ 황제주…", None),
        ("value_kim", "소수점 거래로 조금씩 모으는 방법도 있어요", 2),
        ("jenny_seoul", "The new plant ramping up should help margins next year.", None),
        ("개미왕", "새 공장이 다 돌아가면 생산능력이 세계 최대급이라던데 맞나요?", 4),
        ("value_kim", "네, 그래서 대형 제약사들이 장기 계약을 맡기는 거죠", 5),
        ("jenny_seoul", "Big pharma diversifying its suppliers is a tailwind too.", None),
        ("개미왕", "셀트리온도 유럽에서 바이오시밀러 허가를 받았다던데 "
                   "바이오 섹터 분위기가 좋네요", None),
        ("value_kim", "바이오는 금리에 민감해서 금리 인하 기대가 커질 때 같이 움직여요", None),
        ("jenny_seoul", "Rate cuts help long-duration growth names, yes.", 9),
        ("개미왕", "공부할 게 많네요. 오늘도 하나 배워 갑니다 📚", None),
        ("value_kim", "분기 보고서 나오면 수주 공시도 같이 확인해 보세요", None),
        ("jenny_seoul", "207940 has been a steady compounder. "
                        "Slow and boring, which I like.", None),
        ("개미왕", "지루한 게 최고죠 ㅎㅎ", 13),
    )),
    ("005380", ("chartist_lee", "value_kim", "개미왕", "jenny_seoul", DEMO_USERNAME), 2, (
        ("개미왕", "현대차 리콜 뉴스 때문에 오늘 주가가 밀렸네요", None),
        ("jenny_seoul", "120,000 vehicles over a fuel pump defect. Sounds bad, "
                        "but recall costs are usually manageable.", None),
        ("value_kim", "맞아요. 충당금 규모를 보면 실적에 미치는 영향은 제한적일 거예요", 1),
        ("chartist_lee", "그래도 단기적으로는 심리가 중요하죠. 지지선을 이탈하는지 봐야 합니다",
         None),
        (DEMO_USERNAME, "저는 매달 조금씩 모으는 중이라 오히려 싸게 살 기회로 보고 있어요", None),
        ("value_kim", "현대차는 배당도 늘려 왔어서 적립식으로 괜찮죠", 4),
        ("jenny_seoul", "Hyundai's hybrids are selling really well in the US, by the way.", None),
        ("개미왕", "하이브리드가 잘 팔리니까 전기차 둔화 영향이 덜하네요", 6),
        ("chartist_lee", "005380 주봉을 보면 아직 상승 추세는 안 깨졌어요", None),
        ("value_kim", "인도 법인 상장 이후 자회사 가치 재평가도 기대해 볼 만합니다", None),
        ("jenny_seoul", "Tariffs are the main risk for me. "
                        "A lot depends on the US plant in Georgia.", None),
        ("개미왕", "미국 현지 공장이 있어서 그나마 다행이에요", 10),
        ("chartist_lee", "기아랑 같이 움직이는 경우가 많으니 기아 흐름도 참고하세요", None),
        ("value_kim", "주주환원 정책은 꾸준히 강화되는 분위기예요", None),
        ("개미왕", "현대차가 이번 분기 배당을 얼마나 줄지 궁금하네요", None),
    )),
    ("012450", ("chartist_lee", "개미왕", "value_kim"), 0, (
        ("chartist_lee", "한화에어로스페이스 신고가 행진이네요 🚀", None),
        ("개미왕", "방산주가 이렇게 오를 줄 누가 알았을까요", None),
        ("value_kim", "012450은 수출 계약 잔고가 실적으로 찍히기 시작한 게 커요", None),
        ("개미왕", "K9 자주포 수출 소식이 계속 나오던데 앞으로도 이어질까요?", None),
        ("value_kim", "유럽 국가들이 국방비를 늘리는 흐름이라 수요는 당분간 견조할 것 같아요", 3),
        ("chartist_lee", "다만 RSI가 과열권이라 단기 조정은 염두에 두세요", None),
        ("개미왕", "그래서 저는 못 들어가고 구경만 하고 있어요 ㅠㅠ", 5),
        ("value_kim", "The valuation has re-rated a lot. "
                      "이제는 실적이 따라와 줘야 하는 구간입니다", None),
        ("chartist_lee", "눌림목이 오면 분할로 접근하는 게 좋아 보여요", None),
        ("개미왕", "우주항공 사업도 같이 하던데 그쪽도 기대해 볼 만한가요?", None),
        ("value_kim", "아직은 매출 비중이 작아서 옵션 가치 정도로 보면 될 것 같아요", 9),
        ("chartist_lee", "거래량이 줄면서 횡보하면 오히려 건강한 조정이에요", None),
        ("개미왕", "다음 수주 공시 기다려 봅니다 📈", None),
        ("value_kim", "Remember to diversify. 한 섹터에 몰빵은 위험합니다", None),
    )),
)  # fmt: skip


def has_data() -> bool:
    return Room.objects.exists()


def _chatters() -> dict[str, User]:
    users = {u.username: u for u in User.objects.filter(username__in=CHATTERS)}
    for username in CHATTERS:
        if username not in users:  # no password: they only talk in the demo rooms
            users[username] = User.objects.create_user(username=username)
    return users


def _room_seed(
    *, name: str, stock: Stock | None, script: RoomScript, users: dict[str, User]
) -> int:
    """Create one room and play its script; returns the number of messages sent."""
    _, member_names, demo_unread, lines = script
    members = [users[m] for m in member_names if m in users]  # no demo user: talk without them
    room = services.room_create(creator=members[0], name=name, kind=RoomKind.PUBLIC, stock=stock)
    for member in members[1:]:
        services.room_join(room=room, user=member)
    sent: list[int | None] = []  # message ids by script index; None where the sender is missing
    for sender, content, reply_to in lines:
        if sender not in users:
            sent.append(None)
            continue
        reply_to_id = sent[reply_to] if reply_to is not None else None
        message = services.message_send(
            room=room, sender=users[sender], content=content, reply_to_id=reply_to_id
        )
        sent.append(message.pk)
    ids = [pk for pk in sent if pk is not None]
    if not ids:
        return 0
    for member in members:
        # Everyone is up to date but the demo user, who has the latest few left to read.
        unread = demo_unread if member.username == DEMO_USERNAME else 0
        read_up_to = ids[max(0, len(ids) - unread - 1)]
        services.messages_mark_read(room=room, user=member, message_id=read_up_to)
    return len(ids)


def seed_demo(*, stdout: TextIO) -> None:
    users = _chatters()
    demo = User.objects.filter(username=DEMO_USERNAME).first()
    if demo is not None:
        users[DEMO_USERNAME] = demo
    codes = [code for code, *_ in ROOMS if code is not None]
    stocks = {s.code: s for s in Stock.objects.filter(code__in=codes)}
    rooms = messages = 0
    for script in ROOMS:
        code = script[0]
        stock = stocks.get(code) if code is not None else None
        if code is not None and stock is None:
            stdout.write(f"  no stock {code}: its chat room skipped\n")
            continue
        name = stock_room_name(stock) if stock is not None else GENERAL_ROOM
        if Room.objects.filter(name=name, kind=RoomKind.PUBLIC).exists():
            continue
        messages += _room_seed(name=name, stock=stock, script=script, users=users)
        rooms += 1
    if demo is None:
        stdout.write("  no demo user: the chat rooms have no demo member\n")
    stdout.write(
        f"  {rooms} new chat rooms with {messages} messages from {len(CHATTERS)} demo investors\n"
    )
