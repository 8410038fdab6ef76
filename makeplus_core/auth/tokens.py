"""Issuing, refreshing and revoking JWTs (see :mod:`makeplus_core.security`)."""
from __future__ import annotations

import datetime as dt
import secrets
import uuid

import jwt
import sqlalchemy as sa

from .. import errors
from ..db import utcnow
from .models import AuthSession, User

DEFAULT_ACCESS_TTL = 3600
DEFAULT_REFRESH_TTL = 7 * 24 * 3600
SELECT_TTL = 600


def _ttl(settings, key, default):
    return dt.timedelta(seconds=int(settings.get(key, default)))


def _policy(registry):
    return registry.makeplus.jwt_policy


def access_token(registry, user, auth_session: AuthSession) -> str:
    settings = registry.settings
    claims = {"typ": "access", "sid": str(auth_session.id), "tv": user.token_version}
    if auth_session.event_id:
        claims["event"] = str(auth_session.event_id)
    return _policy(registry).create_token(
        str(user.id), expiration=_ttl(settings, "makeplus.jwt.access_ttl", DEFAULT_ACCESS_TTL), **claims)


def refresh_token(registry, user, auth_session: AuthSession) -> str:
    settings = registry.settings
    return _policy(registry).create_token(
        str(user.id), expiration=_ttl(settings, "makeplus.jwt.refresh_ttl", DEFAULT_REFRESH_TTL),
        typ="refresh", sid=str(auth_session.id), jti=auth_session.refresh_jti, tv=user.token_version)


def select_token(db, registry, user, request=None) -> str:
    """The temporary token of a multi-event login: good only for select-event (and logout).

    It is bound to a server-side record (an ``AuthSession`` of kind ``select``, its
    ``sid``): single use (:func:`use_select_record`), ``SELECT_TTL`` seconds long,
    revoked by logout and password changes like any session.
    """
    record = AuthSession(
        user_id=user.id, kind="select", refresh_jti=secrets.token_hex(16),
        expires_at=utcnow() + dt.timedelta(seconds=SELECT_TTL),
        ip_address=getattr(request, "client_addr", None),
        user_agent=(request.user_agent or "")[:300] if request is not None else None)
    db.add(record)
    db.flush()
    return _policy(registry).create_token(
        str(user.id), expiration=dt.timedelta(seconds=SELECT_TTL), typ="select", tv=user.token_version,
        sid=str(record.id))


def use_select_record(db, session_id) -> None:
    """Use up a temporary token's record, once: a second (or concurrent) use is a 401.

    The conditional UPDATE takes the row lock, so of two concurrent uses exactly one
    sees ``revoked_at IS NULL``.
    """
    result = db.execute(
        sa.update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.kind == "select", AuthSession.revoked_at.is_(None),
               AuthSession.expires_at > utcnow())
        .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise errors.NotAuthenticated("This temporary token has already been used or has expired",
                                      field="temp_token")


def open_session(db, registry, user, event_id, request=None) -> AuthSession:
    settings = registry.settings
    auth_session = AuthSession(
        user_id=user.id, event_id=event_id, refresh_jti=secrets.token_hex(16),
        expires_at=utcnow() + _ttl(settings, "makeplus.jwt.refresh_ttl", DEFAULT_REFRESH_TTL),
        ip_address=getattr(request, "client_addr", None),
        user_agent=(request.user_agent or "")[:300] if request is not None else None,
    )
    db.add(auth_session)
    db.flush()
    return auth_session


def token_pair(registry, user, auth_session) -> dict:
    return {"access": access_token(registry, user, auth_session),
            "refresh": refresh_token(registry, user, auth_session)}


def decode_refresh(registry, token: str) -> dict:
    policy = _policy(registry)
    try:
        claims = jwt.decode(token, policy.public_key, algorithms=[policy.algorithm], leeway=policy.leeway)
    except jwt.InvalidTokenError:
        raise errors.NotAuthenticated("Token is invalid or expired", field="refresh") from None
    if claims.get("typ") != "refresh" or not claims.get("sid") or not claims.get("jti"):
        raise errors.NotAuthenticated("Token is invalid or expired", field="refresh")
    return claims


def rotate(db, registry, token: str):
    """Exchange a refresh token for a new pair; the old one stops working.

    Presenting a refresh token that was already rotated is treated as theft: the
    whole session is revoked.
    """
    claims = decode_refresh(registry, token)
    try:
        sid = uuid.UUID(claims["sid"])
        user_id = int(claims["sub"])
    except (ValueError, TypeError):
        raise errors.NotAuthenticated("Token is invalid or expired", field="refresh") from None
    auth_session = db.execute(
        sa.select(AuthSession).where(AuthSession.id == sid).with_for_update()).scalar_one_or_none()
    user = db.get(User, user_id)
    if (auth_session is None or auth_session.user_id != user_id or auth_session.revoked_at is not None
            or auth_session.kind != "api"
            or user is None or not user.is_active or claims.get("tv") != user.token_version):
        raise errors.NotAuthenticated("Token is invalid or expired", field="refresh")
    if not secrets.compare_digest(auth_session.refresh_jti, str(claims["jti"])):
        auth_session.revoked_at = utcnow()
        # The revocation is committed though the answer is 401 (the view calls db.keep_writes).
        raise errors.NotAuthenticated("Token has been revoked", field="refresh", reuse_detected=True)
    auth_session.refresh_jti = secrets.token_hex(16)
    auth_session.refreshed_at = utcnow()
    db.flush()
    return user, auth_session


def revoke_session(db, session_id) -> None:
    db.execute(sa.update(AuthSession).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
               .values(revoked_at=utcnow()))


def revoke_pending_selections(db, user_id: int) -> None:
    """Revoke the user's unused temporary (select-event) tokens: logout ends logins in progress."""
    db.execute(sa.update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.kind == "select",
                                            AuthSession.revoked_at.is_(None))
               .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def revoke_all(db, user_id: int, except_session=None) -> None:
    stmt = sa.update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if except_session is not None:
        stmt = stmt.where(AuthSession.id != except_session)
    db.execute(stmt.values(revoked_at=utcnow()))
