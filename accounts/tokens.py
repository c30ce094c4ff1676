"""API access tokens: signed JWTs that expire after ACCESS_TOKEN_TTL_SECONDS (F7).

Access tokens are checked without Redis, so the API keeps authenticating while Redis is down.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.utils.translation import gettext as _

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 - a claim value, not a secret


class AccessTokenInvalid(Exception):
    """The token is malformed, tampered with, expired, or not an access token.

    ``code`` is the API error code: an app refreshes on `token_expired`, else signs in again.
    """

    def __init__(self, message: str, code: str = "token_not_valid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AccessTokenClaims:
    user_id: int
    token_generation: int
    expires_at: int


def access_token_encode(*, user_id: int, token_generation: int) -> str:
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "gen": token_generation,
        "typ": ACCESS_TOKEN_TYPE,
        "iat": now,
        "exp": now + settings.ACCESS_TOKEN_TTL_SECONDS,
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=ALGORITHM)


def access_token_decode(*, token: str) -> AccessTokenClaims:
    try:
        payload = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "typ", "gen"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AccessTokenInvalid(_("Access token has expired."), code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise AccessTokenInvalid(_("Access token is invalid.")) from exc
    if payload["typ"] != ACCESS_TOKEN_TYPE:
        raise AccessTokenInvalid(_("Not an access token."))
    try:
        return AccessTokenClaims(
            user_id=int(payload["sub"]),
            token_generation=int(payload["gen"]),
            expires_at=int(payload["exp"]),
        )
    except (TypeError, ValueError) as exc:
        raise AccessTokenInvalid(_("Access token is invalid.")) from exc
