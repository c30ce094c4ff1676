from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stocks.api.serializers import ORDERING_CHOICES
from stocks.models import Market

ORDERING_LABELS = {
    "code": _("Code"),
    "name_ko": _("Name (Korean)"),
    "name_en": _("Name (English)"),
    "last_price": _("Price"),
    "change_percent": _("Change %"),
    "volume": _("Volume"),
    "market_cap": _("Market cap"),
}


def _ordering_label(value: str) -> str:
    name = value.lstrip("-")
    arrow = "↓" if value.startswith("-") else "↑"
    return f"{ORDERING_LABELS[name]} {arrow}"


class StockFilterForm(forms.Form):
    """The stock list's filters, from the query string."""

    q = forms.CharField(label=_("Search"), required=False, max_length=50, strip=True)
    market = forms.ChoiceField(
        label=_("Market"), required=False, choices=[("", _("All markets")), *Market.choices]
    )
    ordering = forms.ChoiceField(
        label=_("Order by"),
        required=False,
        choices=[(value, _ordering_label(value)) for value in ORDERING_CHOICES],
    )
