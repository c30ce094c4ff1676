"""Token endpoints (F7): obtain, refresh (rotating), logout, logout everywhere."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api.serializers import (
    LogoutAllOutputSerializer,
    MeOutputSerializer,
    RefreshInputSerializer,
    TokenObtainInputSerializer,
    TokenPairOutputSerializer,
)
from core.api import ServiceUnavailable
from core.openapi import error_response
from core.throttling import LoginRateThrottle

TOKEN_STORE_DOWN = gettext_lazy("Sign-in service temporarily unavailable, try again shortly.")


class _CredentialEndpoint(APIView):
    """No session/CSRF: these endpoints are how a client without a session gets in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request: Request) -> str:
        # Without it DRF turns every 401 into a 403 on views with no authentication classes.
        return 'Bearer realm="api"'


class TokenObtainView(_CredentialEndpoint):
    # Passwords can be guessed, refresh tokens (256 random bits) cannot: only this endpoint gets
    # the strict sign-in limit; refresh and logout fall under the general API limit.
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={200: TokenPairOutputSerializer, 401: error_response("Bad login")},
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise AuthenticationFailed(
                _("Invalid username or password."), code="invalid_credentials"
            )
        try:
            pair = services.token_pair_issue(user=user)
        except services.TokenStoreUnavailable as exc:
            raise ServiceUnavailable(TOKEN_STORE_DOWN) from exc
        return Response(TokenPairOutputSerializer(pair).data)


class TokenRefreshView(_CredentialEndpoint):
    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairOutputSerializer})
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = services.refresh_token_rotate(refresh=data.validated_data["refresh"])
        except services.RefreshTokenReused as exc:
            raise AuthenticationFailed(str(exc), code="token_reused") from exc
        except services.RefreshTokenInvalid as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from exc
        except services.TokenStoreUnavailable as exc:
            raise ServiceUnavailable(TOKEN_STORE_DOWN) from exc
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutView(_CredentialEndpoint):
    """Possession of the refresh token is enough: an app may log out with an expired access."""

    @extend_schema(request=RefreshInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = RefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.refresh_token_revoke(refresh=data.validated_data["refresh"])
        except services.RefreshTokenInvalid as exc:
            raise AuthenticationFailed(str(exc), code="token_not_valid") from exc
        except services.TokenStoreUnavailable as exc:
            raise ServiceUnavailable(TOKEN_STORE_DOWN) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: LogoutAllOutputSerializer})
    def post(self, request: Request) -> Response:
        revoked = services.user_sessions_revoke_all(user=request.user)
        return Response(LogoutAllOutputSerializer({"revoked_sessions": revoked}).data)


class MeView(APIView):
    """Who the presented credentials belong to: lets an app check its token and show the user."""

    permission_classes = [IsAuthenticated]

    # Not route-cached: authentication has already loaded the user, so a cache round trip
    # would only add work (measured: about 20 % fewer requests per second with it).
    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)
