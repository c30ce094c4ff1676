"""Portfolios, their transactions, and what is derived from them (P1-P3).

Transactions are the record; holdings and realised gains are derived from them (average cost)
by `portfolio.ledger`, kept up to date by the services on every write, so reading a summary
never replays history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cachekit.managers import CachingManager

QUANTITY = {"max_digits": 20, "decimal_places": 4}
MONEY = {"max_digits": 20, "decimal_places": 2}
# A valuation: shares (under 10^16) × a close (under 10^12), summed over holdings.
VALUATION = {"max_digits": 40, "decimal_places": 2}


class Currency(models.TextChoices):
    KRW = "KRW", _("Korean won")


class Portfolio(models.Model):
    """One user's named portfolio of Korean stocks, valued in its base currency (KRW)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolios"
    )
    name = models.CharField(_("name"), max_length=100)
    base_currency = models.CharField(
        _("base currency"), max_length=3, choices=Currency.choices, default=Currency.KRW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Every write to the portfolio's transactions saves this row, and that save drops the
    # owner's cached portfolio reads (C9): one tag per user, never shared between users.
    updated_at = models.DateTimeField(auto_now=True)
    # Set by each write, cleared by the job that rebuilds the value-over-time points (a worker,
    # never a request, replays a year of history).
    history_stale_since = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CachingManager()
    cache_lookup_fields = ("owner_id",)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="portfolio_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TransactionKind(models.TextChoices):
    BUY = "buy", _("buy")
    SELL = "sell", _("sell")
    DIVIDEND = "dividend", _("dividend")
    FEE = "fee", _("fee")


class Transaction(models.Model):
    """One dated event of a portfolio: shares bought or sold, a dividend received (quantity
    shares at ``price`` per share, ``fee`` withheld), or a fee paid (``fee``; stock optional)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="transactions")
    kind = models.CharField(_("type"), max_length=8, choices=TransactionKind.choices)
    stock = models.ForeignKey(
        "stocks.Stock", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    quantity = models.DecimalField(_("quantity"), null=True, blank=True, **QUANTITY)
    price = models.DecimalField(_("price"), null=True, blank=True, **MONEY)
    fee = models.DecimalField(_("fee"), default=0, **MONEY)
    traded_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-traded_on", "-id"]
        indexes = [
            # A stock's replay reads its transactions in order; lists read newest first.
            models.Index(fields=["portfolio", "stock", "traded_on", "id"], name="txn_replay_idx"),
            models.Index(fields=["portfolio", "-traded_on", "-id"], name="txn_recent_idx"),
            # A summary sums the fees: a handful of rows among thousands of trades.
            models.Index(fields=["portfolio"], condition=models.Q(kind="fee"), name="txn_fee_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="txn_fee_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["buy", "sell", "dividend"])
                | models.Q(stock__isnull=False, quantity__gt=0, price__gte=0),
                name="txn_trade_has_stock_quantity_price",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="fee") | models.Q(fee__gt=0), name="txn_fee_has_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.traded_on} {self.kind} {self.stock_id or ''} {self.quantity or ''}"


class Holding(models.Model):
    """A portfolio's position in one stock, derived from its transactions by average cost.

    Kept when sold out (quantity 0) for its realised profit and dividends.
    """

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="holdings")
    stock = models.ForeignKey("stocks.Stock", on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    # What the shares held cost, fees included; the average cost is cost_basis / quantity.
    cost_basis = models.DecimalField(**MONEY)
    realised_pl = models.DecimalField(**MONEY)
    # What the shares sold had cost: realised_pl / sold_cost is the realised return.
    sold_cost = models.DecimalField(**MONEY, default=0)
    dividends = models.DecimalField(**MONEY)
    last_traded_on = models.DateField()

    class Meta:
        ordering = ["stock"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "stock"], name="holding_unique_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id}: {self.quantity} × {self.stock_id}"


class RealisedGain(models.Model):
    """What one sale realised against the average cost of the shares it sold (tax reports)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="+")
    stock = models.ForeignKey("stocks.Stock", on_delete=models.PROTECT, related_name="+")
    sale = models.OneToOneField(Transaction, on_delete=models.CASCADE, related_name="+")
    sold_on = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    proceeds = models.DecimalField(**MONEY)  # quantity × price − fee
    cost = models.DecimalField(**MONEY)  # quantity × average cost at the sale
    gain = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["sold_on", "id"]
        indexes = [models.Index(fields=["portfolio", "sold_on"], name="gain_year_idx")]

    def __str__(self) -> str:
        return f"{self.sold_on} {self.stock_id} {self.gain}"


class ValuePoint(models.Model):
    """A portfolio's market value and cost basis at one day's close (the value-over-time chart),
    rebuilt by the portfolio.refresh_value_history job after its transactions change."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    market_value = models.DecimalField(**VALUATION)
    cost_basis = models.DecimalField(**VALUATION)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "day"], name="valuepoint_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.portfolio_id} {self.day}: {self.market_value}"
