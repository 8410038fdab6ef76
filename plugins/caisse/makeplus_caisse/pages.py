"""The point-of-sale web page ``/caisse/`` for desk operators.

Server-rendered (Jinja2), one screen: search (name, e-mail, badge, or a QR payload
typed by a keyboard-wedge scanner), the participant's paid and open items, the sale
form, the badge PDF, the desk's recent history with cancel-with-reason, logout.
Every form works without JavaScript; ``static/pos.js`` only adds comfort (live
total, shortcuts, no double click).

A caisse is not a user: the operator logs in with the desk's own e-mail and
password (:func:`auth.login`, the same check and ``login`` rate-limit bucket as
``POST /api/caisse/auth/login/``); the page session holds the desk id, its event and
its token version (``makeplus.caisse.*`` keys) and every request re-checks them
with :func:`auth.verify_caisse`, exactly like a caisse token. The views therefore
use ``NO_PERMISSION_REQUIRED`` plus :func:`auth.caisse_from_session`; a user's
bearer token or user page session opens nothing here.

The views only parse forms, call the domain functions of :mod:`.services` and
:mod:`.badge` (the ones the REST views call) and render.
"""
from __future__ import annotations

import functools
import secrets

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from makeplus_core.plugin_api import N_, Event, api, errors, i18n, translate

from . import auth, schemas, services
from .badge import SIZES, participant_badge, pdf_response
from .models import PAYMENT_METHODS

PUBLIC = NO_PERMISSION_REQUIRED
POS = "makeplus_caisse:templates/pos.jinja2"
LOGIN = "makeplus_caisse:templates/login.jinja2"
ERROR = "makeplus_caisse:templates/error.jinja2"
SEARCH_LIMIT = 30
HISTORY_LIMIT = 20
# English msgids, shown translated (``_()`` in the template, ``translate`` here)
METHOD_LABELS = {"cash": N_("Cash"), "bank_transfer": N_("Bank transfer"), "mixed": N_("Mixed")}
TYPE_LABELS = {"session": N_("Atelier"), "dinner": N_("Dinner"), "access": N_("Access"), "other": N_("Other")}
PAGE_PATH = r"^/caisse(/|$)"


def includeme(config):
    config.add_route("caisse-page-login", "/caisse/login/")
    config.add_route("caisse-page-logout", "/caisse/logout/")
    config.add_route("caisse-page", "/caisse/")
    config.add_route("caisse-page-participant", f"/caisse/participants/{api.UUID_ID}/")
    config.add_route("caisse-page-sell", f"/caisse/participants/{api.UUID_ID}/sell/")
    config.add_route("caisse-page-badge", f"/caisse/participants/{api.UUID_ID}/badge.pdf")
    config.add_route("caisse-page-cancel", f"/caisse/transactions/{api.UUID_ID}/cancel/")
    config.add_route("caisse-page-sell-order", "/caisse/orders/sell/")
    config.add_static_view(name="caisse/static", path="makeplus_caisse:static", cache_max_age=3600,
                           permission=PUBLIC)
    config.scan("makeplus_caisse.pages")


# --------------------------------------------------------------------------- helpers


def _headers(request, response=None):
    """No caching. (No framing, only our own scripts and styles: the core's security
    headers tween, makeplus_core.headers, adds those to every page.)"""
    resp = response if response is not None else request.response
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _redirect(request, url):
    return _headers(request, HTTPSeeOther(location=url))


def _login_redirect(request):
    return _redirect(request, request.route_url("caisse-page-login"))


def _desk_page(view):
    """A page of the desk logged in on this browser: ``view(request, caisse)``; nobody logged in
    goes to the login form."""
    @functools.wraps(view)
    def page(request):
        caisse = auth.caisse_from_session(request)
        if caisse is None:
            return _login_redirect(request)
        return view(request, caisse)

    return page


def _participant_url(request, pid):
    return request.route_url("caisse-page-participant", id=str(pid))


def _new_key() -> str:
    return secrets.token_urlsafe(24)


def _screen(request, caisse, *, q="", search=None, participant_id=None, sale=None, cancel=None,
            status=200, orders=None, order_error=None):
    """The one POS screen: search box, results or participant, history. Every
    piece of data comes from the domain functions of :mod:`.services`."""
    db = request.dbsession
    event = db.get(Event, caisse.event_id)
    request.environ["makeplus.timezone"] = event.timezone  # times in the event's time zone
    detail = None
    if participant_id is not None:
        detail = services.participant_detail(db, participant_id, caisse.event_id)
        detail.pop("participant")
    sale = sale or {}
    sale.setdefault("key", _new_key())
    sale.setdefault("items", [])
    sale.setdefault("payment_method", "cash")
    sale.setdefault("notes", "")
    request.response.status_int = status
    _headers(request)
    return {
        "caisse": caisse, "event": event, "q": q, "search": search, "detail": detail, "sale": sale,
        "cancel": cancel or {}, "orders": orders or [], "order_error": order_error, "order_key": _new_key(),
        "history": services.desk_history(db, caisse, limit=HISTORY_LIMIT),
        "csrf_token": request.session.get_csrf_token(), "flash": request.session.pop_flash(),
        "methods": [(m, METHOD_LABELS.get(m, m)) for m in PAYMENT_METHODS], "method_labels": METHOD_LABELS,
        "type_labels": TYPE_LABELS, "badge_sizes": list(SIZES),
        "label": lambda value: translate(request, str(value).replace("_", " ")) if value else "",
    }


# --------------------------------------------------------------------------- login / logout


@view_config(route_name="caisse-page-login", request_method="GET", renderer=LOGIN, permission=PUBLIC)
def login_form(request):
    if auth.caisse_from_session(request) is not None:
        return _redirect(request, request.route_url("caisse-page"))
    _headers(request)
    return {"csrf_token": request.session.get_csrf_token(), "email": "", "error": None, "field": None,
            "flash": request.session.pop_flash()}


@view_config(route_name="caisse-page-login", request_method="POST", renderer=LOGIN, permission=PUBLIC,
             require_csrf=True)
def login_submit(request):
    email = request.POST.get("email", "").strip()
    try:
        data = api.validate(schemas.LoginSchema(), {"email": email, "password": request.POST.get("password", "")})
        caisse = auth.login(request, data["email"], data["password"])
    except errors.DomainError as exc:
        request.response.status_int = exc.status
        if isinstance(exc, errors.RateLimited):
            request.response.headers["Retry-After"] = str(exc.retry_after)
        _headers(request)
        message = i18n.translate_message(request, exc.message) if not isinstance(exc, errors.NotAuthenticated) \
            else translate(request, "Wrong e-mail or password, or this caisse is deactivated.")
        return {"csrf_token": request.session.get_csrf_token(), "email": email, "error": message,
                "field": exc.field, "flash": []}
    auth.session_login(request, caisse)
    return _redirect(request, request.route_url("caisse-page"))


@view_config(route_name="caisse-page-logout", request_method="POST", permission=PUBLIC, require_csrf=True)
def logout(request):
    auth.session_logout(request)
    request.session.flash(translate(request, "Logged out."))
    return _login_redirect(request)


# --------------------------------------------------------------------------- the screen


@view_config(route_name="caisse-page", request_method="GET", renderer=POS, permission=PUBLIC)
@_desk_page
def home(request, caisse):
    q = (request.GET.get("q") or "").strip()[:500]
    if not q:
        return _screen(request, caisse)
    db = request.dbsession
    try:
        stmt = services.participant_query(caisse.event_id, q)
    except errors.Invalid as exc:
        return _screen(request, caisse, q=q, search={"error": i18n.translate_message(request, exc.message),
                                                     "results": []}, status=exc.status)
    rows = db.scalars(stmt.limit(SEARCH_LIMIT + 1)).all()
    orders = services.find_orders(request, db, caisse, q)  # on-site ticket orders to collect (billetterie)
    if len(rows) == 1 and not orders:  # one match (a scanned badge, a unique name): open it at once
        return _redirect(request, _participant_url(request, rows[0].id))
    return _screen(request, caisse, q=q, orders=orders, search={
        "results": services.serialize_participants(db, rows[:SEARCH_LIMIT]), "more": len(rows) > SEARCH_LIMIT})


@view_config(route_name="caisse-page-participant", request_method="GET", renderer=POS, permission=PUBLIC)
@_desk_page
def participant(request, caisse):
    return _screen(request, caisse, participant_id=request.matchdict["id"])


@view_config(route_name="caisse-page-sell", request_method="POST", renderer=POS, permission=PUBLIC,
             require_csrf=True)
@_desk_page
def sell(request, caisse):
    pid = request.matchdict["id"]
    post = request.POST
    sale = {"items": post.getall("item"), "payment_method": post.get("payment_method", "cash"),
            "notes": post.get("notes", ""), "key": post.get("idempotency_key", "").strip()[:200] or _new_key()}
    try:
        data = api.validate(schemas.SaleSchema(), {"participant": pid, "items": sale["items"],
                                                   "payment_method": sale["payment_method"],
                                                   "notes": sale["notes"]})
        txn, replayed = services.sell(request.dbsession, caisse, pid, sale["items"], data["payment_method"],
                                      data["notes"], idempotency_key=sale["key"])
    except errors.DomainError as exc:
        if isinstance(exc, errors.NotFound) and exc.field == "participant":
            raise
        if exc.field == "Idempotency-Key":  # the form was reused for another sale: give it a fresh key
            sale["key"] = _new_key()
        sale.update(error=i18n.translate_message(request, exc.message), error_field=exc.field,
                    error_item=exc.extra.get("item"))
        return _screen(request, caisse, participant_id=pid, sale=sale, status=exc.status)
    method = translate(request, METHOD_LABELS.get(txn.payment_method, txn.payment_method))
    amount = i18n.format_money(txn.total)
    if replayed:
        request.session.flash(translate(request, "Sale already recorded: ${amount} (${method}).",
                                        amount=amount, method=method))
    else:
        request.session.flash(translate(request, "Sale recorded: ${amount} (${method}).", amount=amount,
                                        method=method))
    return _redirect(request, _participant_url(request, pid))


@view_config(route_name="caisse-page-sell-order", request_method="POST", renderer=POS, permission=PUBLIC,
             require_csrf=True)
@_desk_page
def sell_order(request, caisse):
    """Collect an on-site ticket order (docs/caisse.md "Collecting an on-site ticket order")."""
    post = request.POST
    order = post.get("order", "").strip()
    key = post.get("idempotency_key", "").strip()[:200] or _new_key()
    try:
        data = api.validate(schemas.SaleSchema(), {"order": order or None,
                                                   "payment_method": post.get("payment_method", "cash")})
        txn, replayed = services.sell(request.dbsession, caisse, None, None, data["payment_method"], "",
                                      idempotency_key=key, order_ref=data["order"], request=request)
    except errors.DomainError as exc:
        return _screen(request, caisse, order_error=exc.message, status=exc.status)
    word = "already recorded" if replayed else "recorded"
    request.session.flash(f"Order collected, sale {word}: {api.money(txn.total)} DZD "
                          f"({METHOD_LABELS.get(txn.payment_method, txn.payment_method)}).")
    return _redirect(request, request.route_url("caisse-page"))


@view_config(route_name="caisse-page-badge", request_method="GET", permission=PUBLIC)
@_desk_page
def badge(request, caisse):
    pdf, filename = participant_badge(request.dbsession, request.matchdict["id"], caisse.event_id,
                                      request.GET.get("size"))
    resp = pdf_response(pdf, filename)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@view_config(route_name="caisse-page-cancel", request_method="POST", renderer=POS, permission=PUBLIC,
             require_csrf=True)
@_desk_page
def cancel(request, caisse):
    tid = request.matchdict["id"]
    reason = request.POST.get("reason", "")
    back = request.POST.get("participant", "").strip() or None
    try:
        if len(reason) > 2000:
            raise errors.Invalid("reason: at most 2000 characters", field="reason")
        txn = services.cancel(request.dbsession, caisse, tid, reason)
    except errors.DomainError as exc:
        cancel = {"id": tid.lower(), "error": i18n.translate_message(request, exc.message), "reason": reason}
        try:
            return _screen(request, caisse, participant_id=back, cancel=cancel, status=exc.status)
        except errors.NotFound:
            return _screen(request, caisse, cancel=cancel, status=exc.status)
    request.session.flash(translate(request, "Sale to ${name} cancelled (${amount}).", name=txn.participant_name,
                                    amount=i18n.format_money(txn.total)))
    if back:
        return _redirect(request, _participant_url(request, back))
    return _redirect(request, request.route_url("caisse-page"))


# --------------------------------------------------------------------------- errors on these pages


@view_config(context=BadCSRFToken, path_info=PAGE_PATH, renderer=ERROR, permission=PUBLIC)
def csrf_refused(exc, request):
    request.response.status_int = 400
    _headers(request)
    return {"status": 400, "title": translate(request, "Form refused"),
            "message": translate(request, "This form has expired or did not come from this page (CSRF check "
                                          "failed). Nothing was recorded. Go back, reload the page and try again.")}


@view_config(context=errors.DomainError, path_info=PAGE_PATH, renderer=ERROR, permission=PUBLIC)
def domain_error(exc, request):
    request.response.status_int = exc.status
    _headers(request)
    titles = {404: N_("Not found"), 400: N_("Invalid request"), 409: N_("Conflict"), 429: N_("Too many attempts")}
    return {"status": exc.status, "title": translate(request, titles.get(exc.status, N_("Error"))),
            "message": i18n.translate_message(request, exc.message)}
