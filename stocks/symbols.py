"""KRX codes and index names in each provider's form: the one place that knows the mapping."""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^[0-9]{6}$")

# Yahoo Finance writes KOSPI listings as 005930.KS and KOSDAQ ones as 247540.KQ.
_YAHOO_SUFFIX_BY_MARKET = {"KOSPI": ".KS", "KOSDAQ": ".KQ"}
_YAHOO_INDEX_SYMBOLS = {"KOSPI": "^KS11", "KOSDAQ": "^KQ11", "USDKRW": "KRW=X"}


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.fullmatch(code))


def yahoo_symbol(*, code: str, market: str) -> str:
    """`005930`, `KOSPI` → `005930.KS`."""
    if not is_valid_code(code):
        raise ValueError(f"not a 6-digit KRX code: {code!r}")
    return code + _YAHOO_SUFFIX_BY_MARKET[market]


def yahoo_index_symbol(symbol: str) -> str:
    """`KOSPI` → `^KS11`, `USDKRW` → `KRW=X`."""
    return _YAHOO_INDEX_SYMBOLS[symbol]


def code_from_yahoo_symbol(symbol: str) -> str:
    """`005930.KS` → `005930`; anything else is a ValueError."""
    code, _, suffix = symbol.partition(".")
    if "." + suffix not in _YAHOO_SUFFIX_BY_MARKET.values() or not is_valid_code(code):
        raise ValueError(f"not a KRX Yahoo symbol: {symbol!r}")
    return code
