"""Writes of the accounts app: API token issue, rotation and revocation (F7).

A refresh token is ``<family>.<secret>``, kept in Redis (REDIS_STATE_URL) for
REFRESH_TOKEN_TTL_SECONDS. Each sign-in starts a family (one device session); each refresh spends
the presented token and issues the next in the same family. Presenting a spent token means it was
copied, so the whole family is revoked and neither the thief nor the owner can refresh again.

Keys (the ``{family}`` hash tag keeps a family's keys in one Redis Cluster slot):
  auth:rt:{<family>}:<sha256(secret)>   hash uid, gen, spent   expires with the token
  auth:fam:{<family>}                   the family is alive   renewed on each rotation
  auth:user:<uid>:families              the user's families   for "log out everywhere"
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.signals import user_sessions_revoked
from accounts.tokens import access_token_encode
from core.redis import RedisError, state_redis

_REFRESH_TOKEN_FORMAT = re.compile(
    r"^(?P<family>[A-Za-z0-9_-]{16})\.(?P<secret>[A-Za-z0-9_-]{43})$"
)

# Atomic check-and-spend: two concurrent refreshes with one token cannot both succeed.
_ROTATE_SCRIPT = """
local rec = redis.call('HMGET', KEYS[1], 'uid', 'gen', 'spent')
if not rec[1] then return {'invalid'} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'invalid'} end
if rec[3] == '1' then
  redis.call('DEL', KEYS[2])
  return {'reused', rec[1]}
end
redis.call('HSET', KEYS[1], 'spent', '1')
return {'ok', rec[1], rec[2]}
"""


class RefreshTokenInvalid(Exception):
    """Unknown, malformed, expired or revoked refresh token."""


class RefreshTokenReused(RefreshTokenInvalid):
    """An already-spent refresh token was presented; its family is now revoked."""


class TokenStoreUnavailable(Exception):
    """Redis, which holds refresh tokens, cannot be reached."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_in_seconds: int


def _token_key(family: str, secret: str) -> str:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return f"auth:rt:{{{family}}}:{digest}"


def _family_key(family: str) -> str:
    return f"auth:fam:{{{family}}}"


def _user_families_key(user_id: int) -> str:
    return f"auth:user:{user_id}:families"


def _parse(refresh: str) -> tuple[str, str]:
    match = _REFRESH_TOKEN_FORMAT.match(refresh or "")
    if match is None:
        raise RefreshTokenInvalid(_("Refresh token is invalid or expired."))
    return match["family"], match["secret"]


def _store_refresh_token(*, user: User, family: str, is_new_family: bool) -> str:
    secret = secrets.token_urlsafe(32)
    ttl = settings.REFRESH_TOKEN_TTL_SECONDS
    pipe = state_redis().pipeline(transaction=True)
    pipe.hset(
        _token_key(family, secret),
        mapping={"uid": user.pk, "gen": user.token_generation, "spent": 0},
    )
    pipe.expire(_token_key(family, secret), ttl)
    pipe.set(_family_key(family), user.pk, ex=ttl)
    if is_new_family:
        pipe.sadd(_user_families_key(user.pk), family)
    # The index of a user's families lives as long as their newest token.
    pipe.expire(_user_families_key(user.pk), ttl)
    pipe.execute()
    return f"{family}.{secret}"


def _pair(*, user: User, refresh: str) -> TokenPair:
    return TokenPair(
        access=access_token_encode(user_id=user.pk, token_generation=user.token_generation),
        refresh=refresh,
        access_expires_in_seconds=settings.ACCESS_TOKEN_TTL_SECONDS,
    )


def token_pair_issue(*, user: User) -> TokenPair:
    """Start a new session (token family) for an authenticated user."""
    family = secrets.token_urlsafe(12)
    try:
        refresh = _store_refresh_token(user=user, family=family, is_new_family=True)
    except RedisError as exc:
        raise TokenStoreUnavailable from exc
    return _pair(user=user, refresh=refresh)


def refresh_token_rotate(*, refresh: str) -> TokenPair:
    """Spend ``refresh`` and return a new pair in the same family.

    Raises RefreshTokenReused (and revokes the family) when ``refresh`` was already spent.
    """
    family, secret = _parse(refresh)
    try:
        outcome = state_redis().eval(
            _ROTATE_SCRIPT, 2, _token_key(family, secret), _family_key(family)
        )
    except RedisError as exc:
        raise TokenStoreUnavailable from exc
    if outcome[0] == "reused":
        raise RefreshTokenReused(
            _("Refresh token was already used; this session has been revoked for safety.")
        )
    if outcome[0] != "ok":
        raise RefreshTokenInvalid(_("Refresh token is invalid or expired."))
    user = User.objects.filter(pk=int(outcome[1]), is_active=True).first()
    try:
        if user is None or user.token_generation != int(outcome[2]):
            # Deactivated, or signed out everywhere / password changed since this was issued.
            state_redis().delete(_family_key(family))
            raise RefreshTokenInvalid(_("Refresh token is invalid or expired."))
        new_refresh = _store_refresh_token(user=user, family=family, is_new_family=False)
    except RedisError as exc:
        raise TokenStoreUnavailable from exc
    return _pair(user=user, refresh=new_refresh)


def refresh_token_revoke(*, refresh: str) -> None:
    """Log out one session: revoke the family ``refresh`` belongs to."""
    family, secret = _parse(refresh)
    try:
        client = state_redis()
        user_id = client.hget(_token_key(family, secret), "uid")
        if user_id is None or not client.delete(_family_key(family)):
            raise RefreshTokenInvalid(_("Refresh token is invalid or expired."))
        client.srem(_user_families_key(int(user_id)), family)
    except RedisError as exc:
        raise TokenStoreUnavailable from exc


def user_sessions_revoke_all(*, user: User) -> int:
    """Log out everywhere: void every access token at once and revoke every refresh family.

    Returns the number of refresh-token sessions revoked.
    """
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    user.refresh_from_db(fields=["token_generation"])
    user_id = user.pk
    transaction.on_commit(lambda: user_sessions_revoked.send(sender=User, user_id=user_id))
    try:
        client = state_redis()
        families = client.smembers(_user_families_key(user.pk))
        pipe = client.pipeline(transaction=True)
        for family in families:
            pipe.delete(_family_key(family))
        pipe.delete(_user_families_key(user.pk))
        results = pipe.execute()
    except RedisError:
        # The generation bump alone already refuses every old refresh token at its next use.
        return 0
    return sum(1 for deleted in results[:-1] if deleted)
