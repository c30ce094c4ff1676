from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from news import selectors
from news.models import Sentiment
from news.validators import validate_listed_stock_code, validate_search_query


def _source_choices() -> list[tuple[str | int, str]]:
    return [("", _("All sources")), *selectors.source_choices()]


class NewsFilterForm(forms.Form):
    """The news page's filters, from the query string; the API's are the same."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=selectors.QUERY_MAX_CHARS,
        validators=[validate_search_query],
    )  # fmt: skip
    stock = forms.CharField(
        label=_("Stock code"), required=False, max_length=6,
        validators=[validate_listed_stock_code],
    )  # fmt: skip
    source = forms.TypedChoiceField(
        label=_("Source"), required=False, coerce=int, empty_value=None, choices=_source_choices
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False,
        choices=[("", _("Any sentiment")), *Sentiment.choices],
    )  # fmt: skip

    def filters(self) -> dict:
        """The filters that are valid; an invalid one is left out (and shown as an error)."""
        data = self.cleaned_data
        return {
            "q": data.get("q") or None,
            "stock": data.get("stock") or None,
            "source": data.get("source"),
            "sentiment": data.get("sentiment") or None,
        }
