"""Caisse (operator) tokens.

A caisse logs in with its own e-mail and password and receives a bearer token of
the plugin's own kind ``caisse`` (declared with ``makeplus_token_kinds``, issued and
verified by the core's ``issue_token``/``token_principal``). The core security policy yields no identity
for that type, so every user endpoint answers 401 to it; the point-of-sale views
verify it here (and only they accept it): signature and expiry, type, the caisse
row (active, same event) and its token version (bumped on deactivation or
password change, so old tokens stop at once).
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import Event, issue_token, token_principal

from .models import Caisse

TOKEN_TYPE = "caisse"
DEFAULT_TTL = 12 * 3600


def create_token(registry, caisse: Caisse) -> str:
    ttl = int(registry.settings.get("makeplus.caisse.token_ttl", DEFAULT_TTL))
    return issue_token(registry, TOKEN_TYPE, f"caisse:{caisse.id}", ttl, caisse=str(caisse.id),
                       event=str(caisse.event_id), cv=caisse.token_version)


def load_token(request, claims) -> Caisse | None:
    """The ``caisse`` token kind's loader (``makeplus_token_kinds``): the core checked the
    signature, expiry and kind; this checks the desk behind the claims."""
    if "caisse" not in claims or "event" not in claims:
        return None
    caisse = verify_caisse(request.dbsession, claims["caisse"], claims["event"], claims.get("cv"))
    if caisse is None or claims.get("sub") != f"caisse:{caisse.id}":
        return None
    return caisse


def verify_caisse(db, caisse_id, event_id, token_version) -> Caisse | None:
    """The caisse a credential (bearer token or page session) names, if still good.

    Shared by the POS API (``caisse_from_request``) and the POS page
    (``caisse_from_session``): the desk exists and is active, its event is active
    and is the one the credential was issued for, and its token version is the
    one the credential carries (deactivation and password changes bump it).
    Returns ``None`` when any of this fails.
    """
    try:
        caisse_id = uuid.UUID(str(caisse_id))
        event_id = uuid.UUID(str(event_id))
    except (TypeError, ValueError):
        return None
    row = db.execute(
        sa.select(Caisse, Event.is_active).join(Event, Event.id == Caisse.event_id)
        .where(Caisse.id == caisse_id)).first()
    if row is None:
        return None
    caisse, event_active = row
    if (not caisse.is_active or not event_active or caisse.event_id != event_id
            or token_version != caisse.token_version):
        return None
    return caisse


def caisse_from_request(request) -> Caisse:
    """The caisse the request's bearer token belongs to, or a 401."""
    return token_principal(request, TOKEN_TYPE, "A valid caisse token is required")


def login(request, email: str, password: str) -> Caisse:
    """Check a desk's credentials (API and page): the ``login`` rate-limit bucket
    (per address and per e-mail), then :func:`services.authenticate` (401)."""
    from makeplus_core.plugin_api import throttle

    from .services import authenticate, normalize_email

    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "login", f"caisse:{normalize_email(email)}")
    account = f"caisse:{normalize_email(email)}"
    throttle.check_attempt(request, account)  # failures per desk account, shared across processes
    caisse = authenticate(request.dbsession, email, password)
    throttle.succeeded(request, account)
    return caisse


# --------------------------------------------------------------------------- page session

SESSION_ID = "makeplus.caisse.id"
SESSION_EVENT = "makeplus.caisse.event"
SESSION_VERSION = "makeplus.caisse.token_version"


def session_login(request, caisse: Caisse) -> None:
    """Start a fresh page session for ``caisse`` (new session id and CSRF token)."""
    request.session.invalidate()
    request.session[SESSION_ID] = str(caisse.id)
    request.session[SESSION_EVENT] = str(caisse.event_id)
    request.session[SESSION_VERSION] = caisse.token_version
    request.session.new_csrf_token()


def session_logout(request) -> None:
    request.session.invalidate()


def caisse_from_session(request) -> Caisse | None:
    """The caisse logged into the POS page (cookie session), checked exactly like a
    caisse token by :func:`verify_caisse`; ``None`` (and the session dropped) when
    absent or no longer valid, e.g. the desk was deactivated."""
    cached = request.environ.get("makeplus.caisse.page")
    if cached is not None:
        return cached
    from makeplus_core.plugin_api import web

    if not web.has_session_cookie(request):
        return None
    session = request.session
    if session.get(SESSION_ID) is None:
        return None
    caisse = verify_caisse(request.dbsession, session.get(SESSION_ID), session.get(SESSION_EVENT),
                           session.get(SESSION_VERSION))
    if caisse is None:
        session_logout(request)
        return None
    request.environ["makeplus.caisse.page"] = caisse
    return caisse
