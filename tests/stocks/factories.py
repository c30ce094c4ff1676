from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from stocks.models import BarInterval, Market, PriceBar, Stock


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    market = Market.KOSPI
    name_ko = factory.Sequence(lambda n: f"테스트전자{n}")
    name_en = factory.Sequence(lambda n: f"Test Electronics {n}")
    sector = "Electronics"
    shares_outstanding = 10_000_000
    last_price = Decimal("50000")
    previous_close = Decimal("49000")
    change = Decimal("1000")
    change_percent = Decimal("2.04")
    volume = 100_000
    market_cap = factory.LazyAttribute(lambda s: int(s.last_price * s.shares_outstanding))
    updated_at = factory.LazyFunction(timezone.now)


class PriceBarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceBar

    stock = factory.SubFactory(StockFactory)
    interval = BarInterval.DAY
    starts_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=400 - n))
    open = Decimal("50000")
    high = Decimal("51000")
    low = Decimal("49000")
    close = Decimal("50500")
    volume = 1000
