"""HTTP helpers shared by the apps' page views."""

from __future__ import annotations

from django.http import Http404


class NotFoundWithReason(Http404):
    """A 404 whose message is written for the visitor and shown on the error page.

    Plain Http404 messages can carry internals (URL patterns, lookups), so the 404 page shows only
    messages raised through this class.
    """
