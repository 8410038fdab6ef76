"""Authentication and authorisation.

Bearer JWTs are read by pyramid_jwt's policy, wrapped here in a Pyramid 2
security policy. Three kinds of token exist (claim ``typ``):

* ``access``  – a normal API token, bound to one auth session (``sid``) and, usually,
  to one event (``event``); the role is re-read from the database on every request so
  a removed assignment takes effect at once;
* ``refresh`` – only accepted by the refresh endpoints (see ``auth/tokens.py``);
* ``select``  – the temporary token of a multi-event login, only accepted by
  ``POST /api/auth/select-event/`` and ``/api/auth/logout/`` (permission :data:`SELECT_EVENT`);
  it names its server-side record (``sid``, an ``auth_sessions`` row of kind ``select``):
  without a live, unused, unexpired record it is refused, even when correctly signed.

Any other token type (e.g. a plugin's own operator token) yields no identity here,
so core endpoints answer 401 to it. Every view requires the ``authenticated``
permission unless it opts out with ``NO_PERMISSION_REQUIRED``.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import time
import uuid

import jwt
import sqlalchemy as sa
from pyramid.security import Allowed, Denied
from pyramid_jwt.policy import JWTAuthenticationPolicy

from . import web
from .auth.models import AuthSession, User
from .db import utcnow
from .events.archive import mark_not_archived
from .events.models import Event, UserEventAssignment
from .modules import remember as remember_event_settings
from .roles import GESTIONNAIRE

AUTHENTICATED = "authenticated"
SELECT_EVENT = "select_event"
WEB = "web"  # server-rendered pages (cookie session), see makeplus_core.web


@dataclasses.dataclass
class Identity:
    user: object  # makeplus_core.auth.models.User
    kind: str  # "access", "select" (temp token) or "web" (page session)
    session_id: uuid.UUID | None
    event_id: uuid.UUID | None
    role: str | None  # the caller's active role in ``event_id`` (None for none)
    claims: dict

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return bool(self.user.is_admin)

    @property
    def is_gestionnaire(self) -> bool:
        return self.is_admin or self.role == GESTIONNAIRE


@functools.cache
def _identity_statement(session_kind: str | None, with_event: bool):
    """The identity read of every authenticated request: built once per variant (building
    a statement costs more Python than running it), only the parameters change.

    ``session_kind`` is the kind of the token's server-side record (``"api"`` for access
    tokens, ``"select"`` for the temporary event-selection token, which must also be
    unexpired), or None for tokens bound to no record. With an event, the row also
    carries the caller's role there, whether that event is archived, and its settings (the
    plugins switched off for it: the plugin hooks of the request then read no event)."""
    stmt = sa.select(User).where(User.id == sa.bindparam("user_id", type_=sa.Integer), User.is_active.is_(True))
    if session_kind is not None:
        bound = [AuthSession.id == sa.bindparam("sid", type_=sa.Uuid), AuthSession.user_id == User.id,
                 AuthSession.revoked_at.is_(None), AuthSession.kind == session_kind]
        if session_kind == "select":  # the temporary token's record: short-lived, used once
            bound.append(AuthSession.expires_at > sa.bindparam("now", type_=AuthSession.expires_at.type))
        stmt = stmt.join(AuthSession, sa.and_(*bound))
    if with_event:
        uea = UserEventAssignment
        event_id = sa.bindparam("event_id", type_=sa.Uuid)
        stmt = stmt.outerjoin(uea, sa.and_(uea.user_id == User.id, uea.event_id == event_id,
                                           uea.is_active.is_(True))).add_columns(uea.role)
        # The token's event is archived or not: known here at no extra query (see events/archive.py).
        stmt = stmt.outerjoin(Event, Event.id == event_id).add_columns(Event.archived_at, Event.id, Event.settings)
    return stmt


log = logging.getLogger(__name__)


class JWTPolicy(JWTAuthenticationPolicy):
    """pyramid_jwt's policy whose signature checks are remembered per token, per process.

    Verifying a token's signature (HMAC) and decoding it cost about a tenth of a millisecond,
    on every authenticated request for the same few tokens (a scanner sends one token for
    hours). The verified claims of up to ``cache_size`` tokens are kept, keyed by the token
    itself; what changes with time is checked on every call (``exp``/``nbf`` with the
    leeway), and what the database decides (revoked session, account, role) is read by each
    request as before. A token that failed is remembered as failed (bounded the same way)."""

    def __init__(self, *args, cache_size: int = 4096, **kwargs):
        super().__init__(*args, **kwargs)
        self._verified = functools.lru_cache(maxsize=cache_size)(self._verify)

    def _verify(self, token: str):
        try:  # everything but the clock, which is checked per call (jwt_decode)
            return jwt.decode(token, self.public_key, algorithms=[self.algorithm], audience=self.audience,
                              options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})
        except jwt.InvalidTokenError as exc:
            return str(exc)  # remembered as invalid (the message, not the exception and its frames)

    def jwt_decode(self, request, token):
        found = self._verified(token)
        if isinstance(found, str):
            return self._refuse(request, found)
        now = time.time()
        try:
            exp, nbf, iat = (None if found.get(k) is None else float(found[k]) for k in ("exp", "nbf", "iat"))
        except (TypeError, ValueError):
            return self._refuse(request, "exp, nbf and iat must be numbers")
        if exp is not None and now > exp + self.leeway:
            return self._refuse(request, "Signature has expired")
        if nbf is not None and now < nbf - self.leeway:
            return self._refuse(request, "The token is not yet valid (nbf)")
        if iat is not None and now < iat - self.leeway:
            return self._refuse(request, "The token is not yet valid (iat)")
        return dict(found)  # the caller's own copy

    @staticmethod
    def _refuse(request, reason: str):
        log.warning("Invalid JWT token from %s: %s", request.remote_addr, reason)
        return {}


class SecurityPolicy:
    def __init__(self, jwt_policy):
        self.jwt = jwt_policy

    def identity(self, request):
        cache = request.environ
        if "makeplus.identity" not in cache:
            cache["makeplus.identity"] = self._load_identity(request)
        return cache["makeplus.identity"]

    def _load_identity(self, request):
        claims = self.jwt.get_claims(request)
        if not claims and request.authorization is None and web.has_session_cookie(request):
            session = request.session
            if session.get(web.USER_KEY) is None:
                return None
            claims = {"typ": "web", "sub": str(session[web.USER_KEY]), "event": session.get(web.EVENT_KEY),
                      "tv": session.get(web.VERSION_KEY)}
        kind = claims.get("typ")
        if kind not in ("access", "select", "web"):
            return None
        try:
            user_id = int(claims["sub"])
            sid = uuid.UUID(claims["sid"]) if claims.get("sid") else None
            event_id = uuid.UUID(claims["event"]) if claims.get("event") else None
        except (KeyError, TypeError, ValueError):
            return None
        if kind in ("access", "select") and sid is None:
            return None  # both are bound to a server-side record (auth_sessions row)
        db = request.dbsession
        session_kind = None if sid is None else ("select" if kind == "select" else "api")
        params = {"user_id": user_id, "sid": sid, "event_id": event_id}
        if session_kind == "select":

            params["now"] = utcnow()
        row = db.execute(_identity_statement(session_kind, event_id is not None), params).first()
        if row is None:
            return None
        user = row[0]
        role = row[1] if event_id is not None else None
        if event_id is not None and role is None and not user.is_admin:
            return None  # assignment removed or deactivated since the token was issued
        if claims.get("tv") != user.token_version:
            return None
        if event_id is not None:
            if row[2] is None:
                mark_not_archived(db, event_id)
            if row[3] is not None:  # the event's switched-off plugins, for this transaction (modules.py)
                remember_event_settings(db, event_id, row[4])
        return Identity(user=user, kind=kind, session_id=sid, event_id=event_id, role=role, claims=claims)

    def authenticated_userid(self, request):
        ident = self.identity(request)
        return ident.user_id if ident and ident.kind == "access" else None

    def permits(self, request, context, permission):
        ident = self.identity(request)
        if ident is None:
            return Denied("not authenticated")
        if permission == SELECT_EVENT:
            return Allowed("select") if ident.kind in ("select", "access") else Denied("not a token")
        if permission == WEB:
            return Allowed("web") if ident.kind == "web" else Denied("pages need a web login")
        if ident.kind != "access":
            return Denied("temporary token")
        return Allowed("authenticated")

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def includeme(config):
    settings = config.get_settings()
    jwt_policy = JWTPolicy(
        private_key=settings["makeplus.jwt_secret"],
        algorithm="HS256",
        auth_type="Bearer",
        leeway=int(settings.get("makeplus.jwt_leeway", 0)),
        audience=settings.get("jwt.audience") or None,
    )
    config.registry.makeplus.jwt_policy = jwt_policy
    config.set_security_policy(SecurityPolicy(jwt_policy))
    config.set_default_permission(AUTHENTICATED)
