"""DRF authentication by `Authorization: Bearer <access token>` (F7)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import User
from accounts.tokens import AccessTokenInvalid, access_token_decode


class BearerAccessTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Authorization header must be 'Bearer <token>'."), code="token_not_valid"
            )
        try:
            token = header[1].decode("ascii")
            claims = access_token_decode(token=token)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(
                _("Access token is invalid."), code="token_not_valid"
            ) from exc
        except AccessTokenInvalid as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        user = User.objects.filter(pk=claims.user_id, is_active=True).first()
        if user is None or user.token_generation != claims.token_generation:
            raise exceptions.AuthenticationFailed(
                _("Access token has been revoked."), code="token_revoked"
            )
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
