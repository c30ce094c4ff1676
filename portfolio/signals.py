"""A stock's splits change the holdings of every portfolio that traded it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from portfolio import services
from stocks.models import StockSplit

logger = logging.getLogger(__name__)


def _split_changed(sender: type[StockSplit], instance: StockSplit, **kwargs: Any) -> None:
    # Both stocks, should a split have been moved from one to another.
    stock_ids = {instance.stock_id, getattr(instance, "_stock_id_before", instance.stock_id)}

    def rederive() -> None:
        for stock_id in stock_ids:
            services.holdings_rederive_for_stock(stock_id=stock_id)

    transaction.on_commit(rederive)


def _remember_stock(sender: type[StockSplit], instance: StockSplit, **kwargs: Any) -> None:
    if instance.pk is not None:
        before = StockSplit.objects.filter(pk=instance.pk).values_list("stock_id", flat=True)
        instance._stock_id_before = before.first() or instance.stock_id


def connect() -> None:
    pre_save.connect(_remember_stock, sender=StockSplit, dispatch_uid="portfolio:split-saving")
    post_save.connect(_split_changed, sender=StockSplit, dispatch_uid="portfolio:split-saved")
    post_delete.connect(_split_changed, sender=StockSplit, dispatch_uid="portfolio:split-deleted")
