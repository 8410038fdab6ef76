"""The password-reset page the reset e-mail links to (``/account/password-reset/``).

GET shows a small form (in the request's language: French by default) holding the code from the link (or a field
to paste it); POST (form-encoded) sets the password through
:func:`services.confirm_password_reset`, exactly like ``POST
/api/auth/password-reset/confirm/``: one use, every other code of the user used up,
every session ended. GET never uses the code (mail scanners prefetch links).

No CSRF token: the form logs nobody in and only works with the secret code it carries,
which a cross-site attacker does not have. The code is in the URL, so the page is sent
with ``Referrer-Policy: no-referrer`` and ``Cache-Control: no-store``.
"""
from __future__ import annotations

from urllib.parse import quote

import colander
from pyramid.renderers import render_to_response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from .. import errors
from ..i18n import translate, translate_message
from . import schemas, services

ROUTE = "auth.password_reset_page"
PATH = "/account/password-reset/"
TEMPLATE = "makeplus_core.auth:reset_password.jinja2"


def page_url(request, code: str) -> str:
    """The link written in the reset e-mail."""
    base = (request.registry.settings.get("makeplus.public_url") or request.application_url).rstrip("/")
    return f"{base}{PATH}?token={quote(code, safe='')}"


def _render(request, status=200, **ctx):
    ctx.setdefault("done", False)
    ctx.setdefault("error", None)
    ctx.setdefault("field", None)
    response = render_to_response(TEMPLATE, ctx, request=request)
    response.status = status
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@view_config(route_name=ROUTE, request_method="GET", permission=NO_PERMISSION_REQUIRED)
def reset_form(request):
    return _render(request, token=request.GET.get("token", "")[:200])


@view_config(route_name=ROUTE, request_method="POST", permission=NO_PERMISSION_REQUIRED)
def reset_post(request):
    limiter = request.rate_limiter
    if limiter is not None:
        limiter.hit(request, "password_reset")
    token = request.POST.get("token", "")
    password = request.POST.get("new_password", "")
    if password != request.POST.get("new_password_confirm", password):
        return _render(request, 400, token=token[:200], field="new_password_confirm",
                       error=translate(request, "The two passwords differ."))
    try:
        data = schemas.ResetConfirmSchema().deserialize({"token": token, "new_password": password})
    except colander.Invalid as exc:
        field, message = next(iter(exc.asdict(translate=request.localizer.translate).items()))
        return _render(request, 400, token=token[:200], field=field,
                       error=f"{field}: {translate_message(request, message)}")
    try:
        services.confirm_password_reset(request.dbsession, data["token"], data["new_password"])
    except errors.Invalid as exc:
        return _render(request, 400, token="", field=exc.field,
                       error=translate(request, "This link is invalid or has expired.") + " "
                       + translate_message(request, exc.message) + ".")
    return _render(request, token="", done=True)


def includeme(config):
    config.add_route(ROUTE, PATH)
    config.scan(__name__)
