"""The signed-in user's avatar, for the page header."""

from __future__ import annotations

from django.http import HttpRequest

from media.selectors import avatar_url


def avatar(request: HttpRequest) -> dict[str, str | None]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"avatar_url": avatar_url(user.pk, "48x48")}
