from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from news import selectors
from news.models import Sentiment
from news.validators import validate_listed_stock_code, validate_search_query


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
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False,
        choices=[("", _("Any sentiment")), *Sentiment.choices],
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The most read sources only (thousands would be most of the page); a source filtered by
        # its id (a link from an article) is added, so it stays valid and selected.
        choices = selectors.source_choices(limit=settings.NEWS_SOURCE_CHOICES)
        wanted = str(self.data.get("source") or "") if self.is_bound else ""
        listed = {source_id for source_id, _name in choices}
        if wanted.isascii() and wanted.isdigit() and len(wanted) <= 10:
            wanted_id = int(wanted)
            if 0 < wanted_id < 2**31 and wanted_id not in listed:
                choices = [*choices, *selectors.source_choice(wanted_id)]
        self.fields["source"].choices = [("", _("All sources")), *choices]

    def filters(self) -> dict:
        """The filters that are valid; an invalid one is left out (and shown as an error)."""
        data = self.cleaned_data
        return {
            "q": data.get("q") or None,
            "stock": data.get("stock") or None,
            "source": data.get("source"),
            "sentiment": data.get("sentiment") or None,
        }
