"""The point-of-sale web page /caisse/ (WebTest, real database)."""
import json
import re

import pytest
import sqlalchemy as sa
from helpers import PW, login, make_world, new_caisse, pof, sell
from pyramid.request import Request
from pyramid.response import Response

from makeplus_caisse import auth
from makeplus_caisse.models import Transaction
from makeplus_core.plugin_api import web
from makeplus_core.testing import all_plugins

# Written against the pages' English wording (French is the default since issue 18: tests/test_i18n.py).
pytestmark = pytest.mark.usefixtures("english")


def count_txns(db, **where):
    stmt = sa.select(sa.func.count()).select_from(Transaction)
    for k, v in where.items():
        stmt = stmt.where(getattr(Transaction, k) == v)
    n = db.scalar(stmt)
    db.commit()
    return n


def page_login(app, email, password=PW, status=303, **kw):
    form = app.get("/caisse/login/", **kw).forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit(status=status, **kw)


def logged_in(app, f, **kw):
    w = make_world(app, f, **kw)
    r = page_login(app, w.caisse["email"])
    assert r.location.endswith("/caisse/")
    return w


def open_participant(app, w, participant=None):
    r = app.get(f"/caisse/participants/{participant or w.buyer.id}/")
    assert r.status_int == 200
    return r


def tick(form, *item_ids):
    for field in form.fields["item"]:
        if field._value in item_ids:
            field.checked = True
    return form


def ticked(page):
    return {f._value for f in page.forms["sale-form"].fields.get("item", []) if f.checked}


def test_login_logout_and_refusals(app, f):
    w = make_world(app, f)
    r = app.get("/caisse/", status=303)
    assert r.location.endswith("/caisse/login/")
    # bad password / unknown desk / missing field: refused, the page says why and keeps the e-mail
    r = page_login(app, w.caisse["email"], "wrong-password", status=401)
    assert "Wrong e-mail or password" in r.text and w.caisse["email"] in r.text
    page_login(app, "nobody@desk.test", status=401)
    r = page_login(app, w.caisse["email"], "", status=400)
    assert "password" in r.text and 'aria-invalid="true"' in r.text
    app.get("/caisse/", status=303)
    # a deactivated desk cannot log in
    app.patch_json(f"/api/caisse/caisses/{w.caisse['id']}/", {"is_active": False}, headers=w.gh)
    r = page_login(app, w.caisse["email"], status=401)
    assert "deactivated" in r.text
    app.patch_json(f"/api/caisse/caisses/{w.caisse['id']}/", {"is_active": True}, headers=w.gh)
    # success
    r = page_login(app, w.caisse["email"]).follow()
    assert r.status_int == 200 and "Caisse 1" in r.text and w.event.name in r.text
    assert 'id="q"' in r.text and "autofocus" in r.text
    assert r.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    app.get("/caisse/login/", status=303)  # already logged in
    # deactivated while logged in: out at once, and reactivating does not bring the session back
    app.patch_json(f"/api/caisse/caisses/{w.caisse['id']}/", {"is_active": False}, headers=w.gh)
    app.get("/caisse/", status=303)
    app.patch_json(f"/api/caisse/caisses/{w.caisse['id']}/", {"is_active": True}, headers=w.gh)
    assert app.get("/caisse/", status=303).location.endswith("/caisse/login/")
    # a password change also ends the page session (token version)
    page_login(app, w.caisse["email"])
    app.get("/caisse/", status=200)
    app.patch_json(f"/api/caisse/caisses/{w.caisse['id']}/", {"password": "another-pass-1"}, headers=w.gh)
    app.get("/caisse/", status=303)
    # logout
    page_login(app, w.caisse["email"], "another-pass-1")
    r = app.get("/caisse/")
    r = r.forms[0].submit(status=303)
    assert r.location.endswith("/caisse/login/")
    assert "Logged out" in r.follow().text
    app.get("/caisse/", status=303)


def test_login_shares_the_api_rate_limit_bucket(make_app, app, f):
    w = make_world(app, f)
    limited = make_app(**{"makeplus.ratelimit.enabled": "true", "makeplus.ratelimit.login": "2/60"})
    env = {"REMOTE_ADDR": "10.9.8.7", "HTTP_ACCEPT_LANGUAGE": "en"}
    for _ in range(2):
        limited.post_json("/api/caisse/auth/login/", {"email": w.caisse["email"], "password": "bad-pass-1"},
                          extra_environ=env, status=401)
    # the page's attempt is the third in the same "login" bucket: refused even with the right password
    r = page_login(limited, w.caisse["email"], status=429, extra_environ=env)
    assert "Too many" in r.text and r.headers["Retry-After"]
    limited.get("/caisse/", extra_environ=env, status=303)


def test_csrf_refusal_writes_nothing(app, f):
    w = logged_in(app, f)
    page = open_participant(app, w)
    form = tick(page.forms["sale-form"], w.atelier_item["id"])
    form["csrf_token"] = "forged"
    r = form.submit(status=400)
    assert "CSRF" in r.text and r.content_type == "text/html"
    # no token at all
    app.post(f"/caisse/participants/{w.buyer.id}/sell/",
             {"item": w.atelier_item["id"], "payment_method": "cash", "idempotency_key": "k1"}, status=400)
    assert count_txns(f.db) == 0
    # cancel without a token
    txn = sell(app, w, [w.dinner["id"]]).json
    r = app.post(f"/caisse/transactions/{txn['id']}/cancel/", {"reason": "oops"}, status=400)
    assert "CSRF" in r.text
    assert app.get(f"/api/caisse/pos/transactions/{txn['id']}/", headers=w.ch).json["status"] == "completed"
    # login and logout forms are protected too
    app.post("/caisse/login/", {"email": w.caisse["email"], "password": PW}, status=400)
    app.post("/caisse/logout/", {}, status=400)
    app.get("/caisse/", status=200)  # still logged in


def test_search_by_name_and_by_pasted_qr(app, f):
    w = logged_in(app, f)
    other = f.member(w.event, "participant", first_name="Sara", last_name="Haddad")
    stranger_event = f.event()
    f.member(stranger_event, "participant", first_name="Sara", last_name="Meziane-Elsewhere")
    u = w.buyer_user
    # a single match opens the participant at once
    r = app.get("/caisse/", {"q": "meziane"}, status=303)
    assert r.location.endswith(f"/caisse/participants/{w.buyer.id}/")
    r = r.follow()
    assert "Sara Meziane" in r.text and "Atelier Python" in r.text and "DZD6,000.00" in r.text  # money in the locale's format (Babel)
    # several matches: a list of links (other events never appear)
    r = app.get("/caisse/", {"q": "sara"}, status=200)
    assert "2 matches" in r.text and "Meziane-Elsewhere" not in r.text
    links = re.findall(r'href="[^"]*/caisse/participants/([0-9a-f-]+)/"', r.text)
    assert set(links) >= {str(w.buyer.id), str(pof(f, other, w.event).id)}
    # the QR payload a keyboard-wedge scanner types, and a plain user id
    payload = json.dumps({"user_id": u.id, "badge_id": u.badge_id})
    r = app.get("/caisse/", {"q": payload}, status=303)
    assert r.location.endswith(f"/caisse/participants/{w.buyer.id}/")
    assert app.get("/caisse/", {"q": str(u.id)}, status=303).location.endswith(f"/{w.buyer.id}/")
    assert app.get("/caisse/", {"q": u.badge_id}, status=303).location.endswith(f"/{w.buyer.id}/")
    assert app.get("/caisse/", {"q": u.email.upper()}, status=303).location.endswith(f"/{w.buyer.id}/")
    # a forged badge id matches nobody; a broken payload is a clear 400
    r = app.get("/caisse/", {"q": json.dumps({"user_id": u.id, "badge_id": "USER-1-WRONG"})}, status=200)
    assert "0 matches" in r.text and "Nobody of this event matches" in r.text
    r = app.get("/caisse/", {"q": '{"user_id": '}, status=400)
    assert "not a valid badge QR payload" in r.text
    # a participant of another event is a 404 page
    foreign = f.member(stranger_event, "participant")
    r = app.get(f"/caisse/participants/{pof(f, foreign, stranger_event).id}/", status=404)
    assert "Participant not found" in r.text


def test_sale_through_the_form_is_recorded_once(app, f):
    w = logged_in(app, f)
    shirt = app.post_json("/api/caisse/items/", {"item_type": "other", "name": "T-shirt", "price": "1500.00"},
                          headers=w.gh, status=201).json
    page = open_participant(app, w)
    assert "Nothing paid yet" in page.text
    form = tick(page.forms["sale-form"], w.atelier_item["id"], w.dinner["id"])
    form["payment_method"] = "bank_transfer"
    form["notes"] = "reçu n° 42 <b>"
    key = form["idempotency_key"].value
    assert len(key) >= 16
    r = form.submit(status=303)
    assert r.location.endswith(f"/caisse/participants/{w.buyer.id}/")
    r = r.follow()
    assert "Sale recorded: DZD9,500.00 (Bank transfer)" in r.text
    assert "✓ Atelier Python" in r.text and "✓ Dîner" in r.text
    assert "reçu n° 42 &lt;b&gt;" in r.text  # autoescaped in the history
    assert r.forms["sale-form"]["idempotency_key"].value != key  # a new form, a new key
    # the same form posted again (double click, refresh): the same one sale
    r = form.submit(status=303).follow()
    assert "Sale already recorded: DZD9,500.00" in r.text
    assert count_txns(f.db) == 1
    hist = app.get("/api/caisse/pos/transactions/", headers=w.ch).json
    assert hist["count"] == 1 and {i["name"] for i in hist["results"][0]["items"]} == {"Atelier Python", "Dîner"}
    assert hist["count"] == 1 and hist["results"][0]["payment_method"] == "bank_transfer"
    assert hist["results"][0]["notes"] == "reçu n° 42 <b>" and hist["results"][0]["total"] == "9500.00"
    # the history shows it with the desk's totals
    assert "DZD9,500.00</strong> · 1 sale" in r.text
    # only the T-shirt is left to buy; once sold, nothing is
    assert ticked(r) == set() and {fl._value for fl in r.forms["sale-form"].fields["item"]} == {shirt["id"]}
    r = tick(r.forms["sale-form"], shirt["id"]).submit(status=303).follow()
    assert "Nothing left to buy" in r.text and "sale-form" not in r.forms and count_txns(f.db) == 2


def test_sale_errors_are_shown_next_to_the_items(app, f):
    w = logged_in(app, f, capacity=1)
    # nothing ticked, bad payment method
    page = open_participant(app, w)
    r = page.forms["sale-form"].submit(status=400)
    assert "choose at least one item" in r.text
    form = tick(page.forms["sale-form"], w.dinner["id"])
    form.fields["payment_method"][0].force_value("card")
    r = form.submit(status=400)
    assert "payment_method" in r.text and ticked(r) == {w.dinner["id"]}
    # full atelier: another participant took the last seat after the form was shown
    page = open_participant(app, w)
    rival = pof(f, f.member(w.event, "participant"), w.event)
    sell(app, w, [w.atelier_item["id"]], participant=rival.id)
    r = tick(page.forms["sale-form"], w.atelier_item["id"], w.dinner["id"]).submit(status=409)
    assert "is full (1 seats)" in r.text and 'role="alert"' in r.text
    assert ticked(r) == {w.atelier_item["id"], w.dinner["id"]}  # the ticks are kept
    assert re.search(r'class="item bad full">\s*<input type="checkbox" name="item" value="{}"'.format(w.atelier_item["id"]), r.text)
    assert count_txns(f.db, participant_id=w.buyer.id) == 0
    # already paid: the dinner was sold by the API meanwhile
    page = open_participant(app, w)
    sell(app, w, [w.dinner["id"]])
    r = tick(page.forms["sale-form"], w.dinner["id"]).submit(status=409)
    assert "« Dîner » is already paid by this participant" in r.text
    # an item taken off sale meanwhile
    extra = app.post_json("/api/caisse/items/", {"item_type": "other", "name": "T-shirt", "price": "1500.00"},
                          headers=w.gh, status=201).json
    page = open_participant(app, w)
    app.patch_json(f"/api/caisse/items/{extra['id']}/", {"is_active": False}, headers=w.gh)
    r = tick(page.forms["sale-form"], extra["id"]).submit(status=400)
    assert "« T-shirt » is not on sale" in r.text
    assert count_txns(f.db, participant_id=w.buyer.id) == 1
    # the same form (same key) reused for a different sale: 409, and the form gets a fresh key
    shirt = app.post_json("/api/caisse/items/", {"item_type": "other", "name": "Mug", "price": "800.00"},
                          headers=w.gh, status=201).json
    page = open_participant(app, w)
    form = tick(page.forms["sale-form"], shirt["id"])
    form.submit(status=303)
    for fl in form.fields["item"]:
        fl.checked = fl._value != shirt["id"]
    r = form.submit(status=409)
    assert "already used for another sale" in r.text
    assert r.forms["sale-form"]["idempotency_key"].value != form["idempotency_key"].value
    assert count_txns(f.db, participant_id=w.buyer.id) == 2
    # a sale for a participant of another event: 404 page, nothing written
    other = f.event()
    foreign = pof(f, f.member(other, "participant"), other)
    app.post(f"/caisse/participants/{foreign.id}/sell/",
             {"item": w.dinner["id"], "payment_method": "cash", "csrf_token": page.forms["sale-form"]["csrf_token"].value},
             status=404)
    assert count_txns(f.db) == 3


def test_cancel_with_and_without_reason(app, f):
    w = logged_in(app, f)
    page = open_participant(app, w)
    tick(page.forms["sale-form"], w.atelier_item["id"]).submit(status=303)
    txn = app.get("/api/caisse/pos/transactions/", headers=w.ch).json["results"][0]
    page = app.get("/caisse/")
    form = next(fm for fm in page.forms.values() if fm.action.endswith(f"/transactions/{txn['id']}/cancel/"))
    r = form.submit(status=400)
    assert "reason: required" in r.text and "<details open>" in r.text
    assert app.get(f"/api/caisse/pos/transactions/{txn['id']}/", headers=w.ch).json["status"] == "completed"
    form["reason"] = "Wrong atelier"
    r = form.submit(status=303).follow()
    assert "cancelled (DZD6,000.00)" in r.text and "Cancelled: Wrong atelier" in r.text
    got = app.get(f"/api/caisse/pos/transactions/{txn['id']}/", headers=w.ch).json
    assert got["status"] == "cancelled" and got["cancelled_reason"] == "Wrong atelier"
    # the atelier is buyable again
    assert f'value="{w.atelier_item["id"]}"' in open_participant(app, w).text
    # cancelling twice: 409 shown
    r = form.submit(status=409)
    assert "already cancelled" in r.text
    # from the participant screen, an error re-renders that screen
    page = open_participant(app, w)
    tick(page.forms["sale-form"], w.dinner["id"]).submit(status=303)
    txn2 = app.get("/api/caisse/pos/transactions/", headers=w.ch).json["results"][0]
    page = open_participant(app, w)
    form = next(fm for fm in page.forms.values() if fm.action.endswith(f"/transactions/{txn2['id']}/cancel/"))
    assert form["participant"].value == str(w.buyer.id)
    r = form.submit(status=400)
    assert "Sara Meziane" in r.text and "reason: required" in r.text


def test_another_desks_sale_cannot_be_cancelled(app, f):
    w = logged_in(app, f)
    c2 = new_caisse(app, w.gh, "Caisse 2", f"c2-{w.event.id.hex[:8]}@desk.test")
    theirs = sell(app, w, [w.dinner["id"]], headers=login(app, c2["email"])).json
    csrf = app.get("/caisse/").forms[0]["csrf_token"].value
    r = app.post(f"/caisse/transactions/{theirs['id']}/cancel/", {"reason": "mine now", "csrf_token": csrf},
                 status=404)
    assert "Transaction not found" in r.text
    assert count_txns(f.db, status="completed") == 1
    # and it does not appear in this desk's history
    assert theirs["id"] not in app.get("/caisse/").text


def test_badge_pdf_through_the_page_session(app, f):
    w = logged_in(app, f)
    page = open_participant(app, w)
    href = re.search(r'id="badge-link" target="_blank" rel="noopener"\s*href="([^"]+)"', page.text).group(1)
    r = app.get(href)
    assert r.content_type == "application/pdf" and r.body[:4] == b"%PDF"
    assert 'filename="badge-' in r.headers["Content-Disposition"]
    r = app.get(f"/caisse/participants/{w.buyer.id}/badge.pdf", {"size": "cr80"})
    assert r.body[:4] == b"%PDF"
    r = app.get(f"/caisse/participants/{w.buyer.id}/badge.pdf", {"size": "huge"}, status=400)
    assert "size: one of" in r.text and r.content_type == "text/html"
    other = f.event()
    foreign = pof(f, f.member(other, "participant"), other)
    app.get(f"/caisse/participants/{foreign.id}/badge.pdf", status=404)
    app.reset()
    app.get(f"/caisse/participants/{w.buyer.id}/badge.pdf", status=303)


def _user_page_cookie(app, user):
    """A signed page session for ``user`` (what the dashboard's login sets)."""
    registry = app.app.registry
    req = Request.blank("/")
    req.registry = registry
    web.web_login(req, user)
    resp = Response()
    req._process_response_callbacks(resp)
    value = resp.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    check = Request.blank("/", cookies={web.COOKIE: value})
    check.registry = registry
    assert check.session[web.USER_KEY] == user.id  # a real user page session
    return value


def test_user_credentials_do_not_open_the_pos_page(app, f):
    w = make_world(app, f)
    admin = f.user(is_admin=True)
    for headers in (w.gh, f.auth(admin, w.event), w.ch):  # user tokens, and even the desk's API token
        assert app.get("/caisse/", headers=headers, status=303).location.endswith("/caisse/login/")
        app.get(f"/caisse/participants/{w.buyer.id}/badge.pdf", headers=headers, status=303)
    for user in (w.gest, admin):
        app.set_cookie(web.COOKIE, _user_page_cookie(app, user))
        assert app.get("/caisse/", status=303).location.endswith("/caisse/login/")
        app.get(f"/caisse/participants/{w.buyer.id}/", status=303)
        app.reset()
    # and a desk's page session is no user identity for the API
    page_login(app, w.caisse["email"])
    app.get("/caisse/", status=200)
    app.get("/api/auth/me/", status=401)
    app.get("/api/caisse/pos/items/", status=401)
    assert auth.SESSION_ID.startswith("makeplus.caisse.")


def test_static_files_and_plugin_disabled(app, make_app):
    r = app.get("/caisse/static/pos.css")
    assert "text/css" in r.content_type
    assert "DOMContentLoaded" in app.get("/caisse/static/pos.js").text
    without = make_app(**{"makeplus.plugins": " ".join(p for p in all_plugins() if p != "caisse")})
    without.get("/caisse/", status=404)
    without.get("/caisse/login/", status=404)
    without.get("/caisse/static/pos.css", status=404)
