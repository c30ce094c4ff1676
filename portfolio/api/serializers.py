from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from portfolio.ledger import WIDE
from portfolio.models import QUANTITY, TransactionKind
from portfolio.services import TransactionInput
from stocks.models import Stock
from stocks.symbols import is_valid_code

MONEY_FIELD = {"max_digits": 20, "decimal_places": 2}


class PortfolioInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, trim_whitespace=True)


class PortfolioOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    base_currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class StockCodeField(serializers.CharField):
    """A listed stock by its 6-digit code."""

    def to_internal_value(self, data: object) -> Stock:
        code = super().to_internal_value(data)
        if not is_valid_code(code):
            raise serializers.ValidationError(_("A stock code is six digits, such as 005930."))
        stock = Stock.objects.filter(code=code).first()
        if stock is None:
            raise serializers.ValidationError(
                _("No listed stock has the code %(code)s.") % {"code": code}
            )
        return stock

    def to_representation(self, value: Stock) -> str:
        return value.code


class TransactionInputSerializer(serializers.Serializer):
    """`side` is the contract's name for the kind: buy, sell, dividend or fee."""

    side = serializers.ChoiceField(choices=TransactionKind.choices)
    stock = StockCodeField(required=False, allow_null=True)
    quantity = serializers.DecimalField(required=False, allow_null=True, **QUANTITY)
    price = serializers.DecimalField(required=False, allow_null=True, **MONEY_FIELD)
    fee = serializers.DecimalField(required=False, default=0, **MONEY_FIELD)
    date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def to_input(self) -> TransactionInput:
        data = self.validated_data
        return TransactionInput(
            kind=data["side"], stock=data.get("stock"), quantity=data.get("quantity"),
            price=data.get("price"), fee=data.get("fee") or 0, traded_on=data.get("date"),
            note=data.get("note", ""),
        )  # fmt: skip


class TransactionStockSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()


class TransactionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField(source="kind")
    stock = TransactionStockSerializer(allow_null=True)
    quantity = serializers.DecimalField(allow_null=True, **QUANTITY)
    price = serializers.DecimalField(allow_null=True, **MONEY_FIELD)
    fee = serializers.DecimalField(**MONEY_FIELD)
    date = serializers.DateField(source="traded_on")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class TransactionFilterSerializer(serializers.Serializer):
    stock = serializers.CharField(required=False, allow_blank=True, max_length=6)
    side = serializers.ChoiceField(
        choices=TransactionKind.choices, required=False, allow_blank=True
    )


class WideDecimalField(serializers.DecimalField):
    """A sum or a valuation, written in full whatever its size: holdings × prices and their
    totals pass the columns' 20 digits (10^12 shares at 10^6 won is 10^18), and a digit limit
    there was an InvalidOperation, a 500, on every read."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=None, decimal_places=2, **kwargs)

    def quantize(self, value: Decimal) -> Decimal:
        with decimal.localcontext(WIDE):
            return super().quantize(value)


def _money() -> serializers.DecimalField:
    return WideDecimalField()


def _percent() -> serializers.DecimalField:
    # No digit limit: a sale at ten thousand times its cost is a 999,900 % gain, not a 500.
    return WideDecimalField(allow_null=True)


class HoldingStockSerializer(TransactionStockSerializer):
    market = serializers.CharField()
    sector = serializers.CharField()


class HoldingSerializer(serializers.Serializer):
    stock = HoldingStockSerializer()
    quantity = serializers.DecimalField(**QUANTITY)
    average_cost = _money()
    cost_basis = _money()
    last_price = _money()
    previous_close = _money()
    market_value = _money()
    unrealised_pl = _money()
    unrealised_pl_percent = _percent()
    day_change = _money()
    weight = _percent()
    realised_pl = _money()
    realised_pl_percent = _percent()
    dividends = _money()


class _ShareSerializer(serializers.Serializer):
    market_value = _money()
    weight = _percent()


class StockShareSerializer(_ShareSerializer):
    code = serializers.CharField()
    name_ko = serializers.CharField()
    name_en = serializers.CharField()


class SectorShareSerializer(_ShareSerializer):
    sector = serializers.CharField()


class MarketShareSerializer(_ShareSerializer):
    market = serializers.CharField()


def _decimal_text(value: object, places: str = "0.01") -> str | None:
    if value is None:
        return None
    with decimal.localcontext(WIDE):  # any size, as WideDecimalField
        return f"{Decimal(value).quantize(Decimal(places)):f}"


_HOLDING_MONEY = ("average_cost", "cost_basis", "last_price", "previous_close", "market_value",
                  "unrealised_pl", "day_change", "realised_pl", "dividends")  # fmt: skip
_HOLDING_PERCENT = ("unrealised_pl_percent", "weight", "realised_pl_percent")


class HoldingListField(serializers.ListField):
    """HoldingSerializer's output written by hand: field by field, 50 holdings took 10 ms a
    request, as long as computing the summary."""

    child = HoldingSerializer()

    def to_representation(self, holdings: list[dict]) -> list[dict]:
        return [
            {"stock": {key: row["stock"][key] for key in ("code", "name_ko", "name_en", "market",
                                                          "sector")},
             "quantity": _decimal_text(row["quantity"], "0.0001"),
             **{name: _decimal_text(row[name]) for name in _HOLDING_MONEY},
             **{name: _decimal_text(row[name]) for name in _HOLDING_PERCENT}}
            for row in holdings
        ]  # fmt: skip


class AllocationSerializer(serializers.Serializer):
    by_stock = StockShareSerializer(many=True)
    by_sector = SectorShareSerializer(many=True)
    by_market = MarketShareSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    portfolio_id = serializers.IntegerField(allow_null=True)
    base_currency = serializers.CharField()
    priced_at = serializers.DateTimeField(allow_null=True)
    market_value = _money()
    cost_basis = _money()
    unrealised_pl = _money()
    unrealised_pl_percent = _percent()
    realised_pl = _money()
    realised_pl_percent = _percent()
    dividends = _money()
    fees = _money()
    total_return = _money()
    day_change = _money()
    day_change_percent = _percent()
    holdings = HoldingListField()
    allocation = AllocationSerializer()


class GainYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    sales = serializers.IntegerField()
    proceeds = _money()
    cost = _money()
    gain = _money()
    dividends = _money()


class GainYearQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


class SaleSerializer(serializers.Serializer):
    date = serializers.DateField(source="sold_on")
    stock = serializers.CharField(source="stock.code")
    name_ko = serializers.CharField(source="stock.name_ko")
    quantity = serializers.DecimalField(**QUANTITY)
    proceeds = _money()
    cost = _money()
    gain = _money()


class ValuePointSerializer(serializers.Serializer):
    day = serializers.DateField()
    market_value = _money()
    cost_basis = _money()


class HistorySerializer(serializers.Serializer):
    is_stale = serializers.BooleanField()
    points = ValuePointSerializer(many=True)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()
    code = serializers.CharField(help_text="invalid, oversell or holding_too_large")


class ImportedSerializer(serializers.Serializer):
    imported = serializers.IntegerField(help_text="Transactions recorded")
