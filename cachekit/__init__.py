"""The cache toolkit every app caches through (C1-C12): no app writes cache code by hand.

    from cachekit import AnyRow, Row, cached

    @cached(namespace="stocks", ttl="stock_detail", depends_on=lambda code: [Row(Stock, code=code)])
    def stock_detail(code: str) -> dict: ...

Saving or deleting a `Stock` (or changing an m2m relation of one) drops exactly the entries that
depend on it, after commit. See docs/caching.md.
"""

from cachekit.core import cached, get_or_compute
from cachekit.dependencies import AnyRow, Row

__all__ = ["AnyRow", "Row", "cached", "get_or_compute"]
