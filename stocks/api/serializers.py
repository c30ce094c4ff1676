from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from stocks.models import Market, Stock
from stocks.selectors import PERIODS

ORDERING_CHOICES = [f"{sign}{name}" for name in Stock.ORDERING_FIELDS for sign in ("", "-")]


class StockFilterSerializer(serializers.Serializer):
    # Blank values mean "no filter", as a form submitted with empty fields sends them.
    market = serializers.ChoiceField(choices=Market.choices, required=False, allow_blank=True)
    search = serializers.CharField(required=False, max_length=50, allow_blank=True)
    ordering = serializers.ChoiceField(choices=ORDERING_CHOICES, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        return {
            "market": attrs.get("market") or None,
            "search": attrs.get("search") or None,
            "ordering": attrs.get("ordering") or "code",
        }


class MoverSerializer(serializers.Serializer):
    """A stock in the market snapshot's movers lists; the detail adds to it."""

    code = serializers.CharField()
    market = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()
    last_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    change = serializers.DecimalField(max_digits=14, decimal_places=2)
    change_percent = serializers.DecimalField(max_digits=8, decimal_places=2)
    volume = serializers.IntegerField()


class StockOutputSerializer(MoverSerializer):
    sector = serializers.CharField()
    previous_close = serializers.DecimalField(max_digits=14, decimal_places=2)
    market_cap = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)


class StockDetailQuerySerializer(serializers.Serializer):
    # A page refreshing its live price passes live=1: that is not a new view of the stock.
    live = serializers.BooleanField(required=False, default=False)


class PeriodSerializer(serializers.Serializer):
    period = serializers.ChoiceField(
        choices=PERIODS,
        default="1d",
        error_messages={"invalid_choice": f"\"{{input}}\" is not a period; use one of: "
                                          f"{', '.join(PERIODS)}."},
    )  # fmt: skip


class BarSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    open = serializers.DecimalField(max_digits=14, decimal_places=2)
    high = serializers.DecimalField(max_digits=14, decimal_places=2)
    low = serializers.DecimalField(max_digits=14, decimal_places=2)
    close = serializers.DecimalField(max_digits=14, decimal_places=2)
    volume = serializers.IntegerField()


class BarListField(serializers.ListField):
    """BarSerializer's output, written by hand: a year of bars took 19 ms field by field."""

    child = BarSerializer()

    def to_representation(self, bars: list[dict]) -> list[dict]:
        localtime = timezone.localtime
        return [
            {"starts_at": localtime(bar["starts_at"]).isoformat(), "open": f"{bar['open']:.2f}",
             "high": f"{bar['high']:.2f}", "low": f"{bar['low']:.2f}",
             "close": f"{bar['close']:.2f}", "volume": bar["volume"]}
            for bar in bars
        ]  # fmt: skip


class PricesOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    period = serializers.CharField()
    interval = serializers.CharField()
    simulated = serializers.BooleanField()
    bars = BarListField()


class IndexSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    name = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    previous_close = serializers.DecimalField(max_digits=14, decimal_places=4)
    change = serializers.DecimalField(max_digits=14, decimal_places=4)
    change_percent = serializers.DecimalField(max_digits=8, decimal_places=2)
    captured_at = serializers.DateTimeField()


class MoversSerializer(serializers.Serializer):
    gainers = MoverSerializer(many=True)
    losers = MoverSerializer(many=True)
    most_active = MoverSerializer(many=True)


class MarketSnapshotSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(allow_null=True)
    simulated = serializers.BooleanField()
    indices = IndexSerializer(many=True)
    movers = MoversSerializer()


class MarketStatisticsSerializer(serializers.Serializer):
    market = serializers.CharField()
    count = serializers.IntegerField()
    average_price = serializers.DecimalField(max_digits=16, decimal_places=2)
    total_volume = serializers.IntegerField(allow_null=True)
    total_market_cap = serializers.IntegerField(allow_null=True)


class RecentlyViewedSerializer(serializers.Serializer):
    code = serializers.CharField()
    market = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()
    viewed_at = serializers.DateTimeField()
