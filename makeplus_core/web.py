"""Server-rendered pages: the cookie session, CSRF and the web identity.

Pages (the dashboard, the caisse's point of sale) log people in with a signed,
HTTP-only cookie session. A session identity (``Identity.kind == "web"``) is only
good for views with the :data:`WEB` permission: it never authorises the JSON API
(which stays bearer-only, so cookies can't be used for cross-site requests
against it). Every form posts a CSRF token (``request.session.get_csrf_token()``;
views declare ``require_csrf=True``).

Templates: pyramid_jinja2 with autoescaping, for ``.jinja2`` renderers (asset
specs such as ``makeplus_dashboard:templates/events.jinja2``).

Settings: ``makeplus.session_secret`` (default: derived from the JWT secret),
``makeplus.session_timeout`` (seconds of inactivity, default 8 hours).
"""
from __future__ import annotations

import hashlib
import hmac

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory

WEB = "web"
COOKIE = "makeplus_session"
USER_KEY = "makeplus.user_id"
EVENT_KEY = "makeplus.event_id"
VERSION_KEY = "makeplus.token_version"


def has_session_cookie(request) -> bool:
    return COOKIE in request.cookies


def web_login(request, user, event_id=None) -> None:
    """Start a fresh session for ``user`` (new session id: no fixation)."""
    request.session.invalidate()
    request.session[USER_KEY] = user.id
    request.session[VERSION_KEY] = user.token_version
    request.session[EVENT_KEY] = str(event_id) if event_id else None
    request.session.new_csrf_token()
    request.environ.pop("makeplus.identity", None)


def web_set_event(request, event_id) -> None:
    request.session[EVENT_KEY] = str(event_id) if event_id else None
    request.environ.pop("makeplus.identity", None)


def web_logout(request) -> None:
    request.session.invalidate()
    request.environ.pop("makeplus.identity", None)


def includeme(config):
    settings = config.get_settings()
    secret = settings.get("makeplus.session_secret") or hmac.new(
        settings["makeplus.jwt_secret"].encode(), b"makeplus-web-session", hashlib.sha256).hexdigest()
    factory = SignedCookieSessionFactory(
        secret,
        cookie_name=COOKIE,
        secure=settings.get("makeplus.env") == "production",
        httponly=True,
        samesite="Lax",
        timeout=int(settings.get("makeplus.session_timeout", 8 * 3600)),
        reissue_time=600,
        hashalg="sha512",
    )
    config.set_session_factory(factory)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Jinja2 templates for every plugin's pages: renderer="makeplus_<x>:templates/page.jinja2".
    config.include("pyramid_jinja2")
    config.add_jinja2_renderer(".jinja2")
    config.commit()
    env = config.get_jinja2_environment()
    env.autoescape = True
    from .i18n import install_jinja2

    install_jinja2(config)  # _(), ngettext, |datetime |money …, lang(), lang_url()
