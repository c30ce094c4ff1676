"""Validation of the news filters, shared by the API's serializer and the page's form."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.textsearch import searchable_chars
from news.selectors import QUERY_MIN_CHARS
from stocks.selectors import stock_detail
from stocks.symbols import is_valid_code


def validate_listed_stock_code(code: str) -> None:
    if not is_valid_code(code):
        raise ValidationError(_("A stock code is six digits, such as 005930."), code="invalid")
    if stock_detail(code) is None:
        raise ValidationError(
            _("No listed stock has the code %(code)s.") % {"code": code}, code="unknown"
        )


def validate_search_query(query: str) -> None:
    if searchable_chars(query) < QUERY_MIN_CHARS:
        raise ValidationError(
            _("Search for a word of at least %(count)d letters or digits.")
            % {"count": QUERY_MIN_CHARS},
            code="too_short",
        )
