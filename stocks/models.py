"""Listed stocks, their OHLCV price bars and market index snapshots (S1-S3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cachekit.managers import CachingManager


class Market(models.TextChoices):
    KOSPI = "KOSPI", "KOSPI"
    KOSDAQ = "KOSDAQ", "KOSDAQ"


# Columns the list API orders by, with short names for their indexes (at most 30 characters).
_ORDERING_INDEXES = (("code", "code"), ("name_ko", "name_ko"), ("name_en", "name_en"),
                     ("last_price", "price"), ("change_percent", "chg_pct"), ("volume", "volume"),
                     ("market_cap", "mcap"))  # fmt: skip


class Stock(models.Model):
    """One listed share on the Korea Exchange, identified by its 6-digit short code (S1).

    The last-price columns are a denormalised copy of the newest collected quote, so list pages
    and the market statistics read one row per stock instead of the newest bar of each.
    """

    code = models.CharField(_("code"), max_length=6, unique=True)
    market = models.CharField(_("market"), max_length=6, choices=Market.choices)
    name_ko = models.CharField(_("Korean name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    sector = models.CharField(_("sector"), max_length=50, blank=True)
    shares_outstanding = models.BigIntegerField(_("shares outstanding"), default=0)
    last_price = models.DecimalField(_("last price"), max_digits=14, decimal_places=2, default=0)
    previous_close = models.DecimalField(
        _("previous close"), max_digits=14, decimal_places=2, default=0
    )
    change = models.DecimalField(_("change"), max_digits=14, decimal_places=2, default=0)
    change_percent = models.DecimalField(_("change %"), max_digits=8, decimal_places=2, default=0)
    volume = models.BigIntegerField(_("volume"), default=0)
    market_cap = models.BigIntegerField(_("market cap (KRW)"), default=0)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    objects = CachingManager()
    cache_lookup_fields = ("code",)

    # Columns the list API may order by, each with an index (alone, and after `market` for the
    # market filter).
    ORDERING_FIELDS = tuple(name for name, _ in _ORDERING_INDEXES)

    class Meta:
        ordering = ["code"]
        indexes = [
            *[models.Index(fields=[name], name=f"stock_{short}_idx")
              for name, short in _ORDERING_INDEXES if name != "code"],
            *[models.Index(fields=["market", name], name=f"stock_mkt_{short}_idx")
              for name, short in _ORDERING_INDEXES],
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{6}$"), name="stock_code_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_ko}"


class BarInterval(models.TextChoices):
    MINUTE = "1m", _("1 minute")
    DAY = "1d", _("1 day")


class PriceBar(models.Model):
    """One OHLCV candle of one stock: a trading day (`1d`) or one minute of one (`1m`) (S2).

    Unique per stock, interval and start, so a collection run that is retried upserts the same
    rows instead of adding new ones.
    """

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="bars")
    interval = models.CharField(max_length=2, choices=BarInterval.choices)
    starts_at = models.DateTimeField()
    open = models.DecimalField(max_digits=14, decimal_places=2)
    high = models.DecimalField(max_digits=14, decimal_places=2)
    low = models.DecimalField(max_digits=14, decimal_places=2)
    close = models.DecimalField(max_digits=14, decimal_places=2)
    volume = models.BigIntegerField(default=0)

    objects = CachingManager()
    cache_lookup_fields = ("stock_id",)

    class Meta:
        ordering = ["stock", "interval", "starts_at"]
        constraints = [
            # Also the index every price query uses: stock, interval, then a time range.
            models.UniqueConstraint(
                fields=["stock", "interval", "starts_at"],
                name="pricebar_unique_stock_interval_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_id} {self.interval} {self.starts_at:%Y-%m-%d %H:%M}"


class IndexSymbol(models.TextChoices):
    KOSPI = "KOSPI", "KOSPI"
    KOSDAQ = "KOSDAQ", "KOSDAQ"
    USDKRW = "USDKRW", "USD/KRW"


class MarketIndexSnapshot(models.Model):
    """The value of one market index (KOSPI, KOSDAQ) or the USD/KRW rate at one moment (S3)."""

    symbol = models.CharField(max_length=6, choices=IndexSymbol.choices)
    value = models.DecimalField(max_digits=14, decimal_places=4)
    previous_close = models.DecimalField(max_digits=14, decimal_places=4)
    change = models.DecimalField(max_digits=14, decimal_places=4)
    change_percent = models.DecimalField(max_digits=8, decimal_places=2)
    captured_at = models.DateTimeField()

    objects = CachingManager()
    cache_lookup_fields = ("symbol",)

    class Meta:
        ordering = ["symbol", "-captured_at"]
        constraints = [
            # Newest-per-symbol reads walk this index backwards, one symbol at a time; a retried
            # run upserts.
            models.UniqueConstraint(
                fields=["symbol", "captured_at"], name="indexsnapshot_unique_symbol_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.value} @ {self.captured_at:%Y-%m-%d %H:%M}"


class StockView(models.Model):
    """A user's most recent view of one stock page, for "recently viewed" (S7)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField()

    objects = CachingManager()
    cache_lookup_fields = ("user_id",)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "stock"], name="stockview_unique_user_stock"),
        ]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="stockview_user_recent_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.stock_id}"


class StockSplit(models.Model):
    """A split (or reverse split) of one stock: from ``effective_on`` on, every ``old_shares``
    shares are ``new_shares`` (a 50-for-1 split is old 1, new 50)."""

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="splits")
    effective_on = models.DateField(_("effective on"))
    old_shares = models.PositiveIntegerField(_("old shares"))
    new_shares = models.PositiveIntegerField(_("new shares"))

    objects = CachingManager()
    cache_lookup_fields = ("stock_id",)

    class Meta:
        ordering = ["stock", "effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["stock", "effective_on"], name="split_unique_day"),
            models.CheckConstraint(
                condition=models.Q(old_shares__gt=0, new_shares__gt=0)
                & ~models.Q(old_shares=models.F("new_shares")),
                name="split_ratio_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stock_id} {self.old_shares}:{self.new_shares} on {self.effective_on}"

    def clean(self) -> None:
        # Holdings are re-derived when a split is recorded; one recorded ahead of its day would
        # not be applied to them when the day comes.
        if self.effective_on and self.effective_on > timezone.localdate():
            raise ValidationError({"effective_on": _("Record a split on or after its day.")})
        if self.old_shares and self.old_shares == self.new_shares:
            raise ValidationError({"new_shares": _("A split changes the number of shares.")})
