"""Caisse (operator) tokens.

A caisse logs in with its own e-mail and password and receives a JWT of type
``caisse`` signed like the user tokens. The core security policy yields no identity
for that type, so every user endpoint answers 401 to it; the point-of-sale views
verify it here (and only they accept it): signature and expiry, type, the caisse
row (active, same event) and its token version (bumped on deactivation or
password change, so old tokens stop at once).
"""
from __future__ import annotations

import datetime as dt
import uuid

import jwt
import sqlalchemy as sa

from makeplus_core import errors
from makeplus_core.events.models import Event

from .models import Caisse

TOKEN_TYPE = "caisse"
DEFAULT_TTL = 12 * 3600


def create_token(registry, caisse: Caisse) -> str:
    ttl = int(registry.settings.get("makeplus.caisse.token_ttl", DEFAULT_TTL))
    return registry["jwt_policy"].create_token(
        f"caisse:{caisse.id}", expiration=dt.timedelta(seconds=ttl), typ=TOKEN_TYPE, caisse=str(caisse.id),
        event=str(caisse.event_id), cv=caisse.token_version)


def _bearer(request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def caisse_from_request(request) -> Caisse:
    """The caisse the request's bearer token belongs to, or a 401."""
    cached = request.environ.get("makeplus.caisse")
    if cached is not None:
        return cached
    fail = errors.NotAuthenticated("A valid caisse token is required")
    token = _bearer(request)
    if token is None:
        raise fail
    policy = request.registry["jwt_policy"]
    try:
        claims = jwt.decode(token, policy.public_key, algorithms=[policy.algorithm], leeway=policy.leeway)
    except jwt.InvalidTokenError:
        raise fail
    if claims.get("typ") != TOKEN_TYPE:
        raise fail
    try:
        caisse_id = uuid.UUID(str(claims["caisse"]))
        event_id = uuid.UUID(str(claims["event"]))
    except (KeyError, ValueError):
        raise fail
    row = request.dbsession.execute(
        sa.select(Caisse, Event.is_active).join(Event, Event.id == Caisse.event_id)
        .where(Caisse.id == caisse_id)).first()
    if row is None:
        raise fail
    caisse, event_active = row
    if (not caisse.is_active or not event_active or caisse.event_id != event_id
            or claims.get("cv") != caisse.token_version or claims.get("sub") != f"caisse:{caisse.id}"):
        raise fail
    request.environ["makeplus.caisse"] = caisse
    return caisse
