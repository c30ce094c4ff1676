"""The admin site, with the same sign-in rate limit as the login page and the API."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.throttling import RateLimitDecision, client_address, login_attempt_hit


def login_refused_response(request: HttpRequest, decision: RateLimitDecision) -> HttpResponse:
    message = _("Too many sign-in attempts. Try again in %(seconds)d seconds.") % {
        "seconds": decision.retry_after_seconds
    }
    response = render(request, "429.html", {"detail": message}, status=429)
    response["Retry-After"] = str(decision.retry_after_seconds)
    return response


class InsightStockAdminSite(admin.AdminSite):
    site_header = "InsightStock admin"
    site_title = "InsightStock admin"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "POST":
            decision = login_attempt_hit(
                ip=client_address(request), username=request.POST.get("username", "")
            )
            if not decision.is_allowed:
                return login_refused_response(request, decision)
        return super().login(request, extra_context)
