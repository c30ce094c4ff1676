"""Session sign-in pages for the server-rendered site."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.throttling import client_address, login_attempt_hit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        decision = login_attempt_hit(
            ip=client_address(request), username=request.POST.get("username", "")
        )
        if not decision.is_allowed:
            # An unbound form: a bound one would check the password, the very thing refused here.
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username", "")}
            )
            refusal = _("Too many sign-in attempts. Try again in %(seconds)d seconds.") % {
                "seconds": decision.retry_after_seconds
            }
            response = self.render_to_response(
                self.get_context_data(form=form, refusal=refusal), status=429
            )
            response["Retry-After"] = str(decision.retry_after_seconds)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):  # noqa: ANN001, ANN201 - Django's signature
        response = super().form_valid(form)
        messages.success(
            self.request, _("Welcome back, %(name)s.") % {"name": form.get_user().get_username()}
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have been signed out."))
        return response
