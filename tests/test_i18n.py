"""French first, English too (issue 18): catalogs complete, every template string marked,
pages/mails/API errors in the request's language, Babel formats, the language switch."""
from __future__ import annotations

import datetime as dt
import html
import pathlib
import re
import shutil

import pytest
from jinja2 import Environment

from makeplus_core import i18n, i18n_catalogs

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEMPLATES = sorted(p for pkg in i18n_catalogs.packages() for p in pkg.rglob("*.jinja2")
                   if "scaffold_template" not in p.parts)
NBSP, NNBSP = "\xa0", "\u202f"

# --------------------------------------------------------------------------- catalogs


@pytest.mark.parametrize("package", i18n_catalogs.packages(), ids=lambda p: p.name)
def test_catalog_holds_every_marked_string_translated(package):
    """Extract the marked strings (Babel) and compare: each is in the French and English
    catalogs, with a non-empty, non-fuzzy translation. Run `make catalogs` and translate."""
    assert i18n_catalogs.problems(package) == []


# Text a template may show untranslated: names, units, punctuation.
ALLOWED = {"MakePlus", "UTC", "PDF", "PNG", "SVG", "QR", "DZD", "n°", "∞"}
ATTRS = re.compile(r'\b(placeholder|aria-label|title|alt|data-label|data-confirm|data-empty)="([^"]*)"')


def _visible_text(source: str):
    """The literal text of a template (what is outside ``{{ }}``/``{% %}``), split in pieces."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    data = []
    for _lineno, kind, value in env.lex(source):
        if kind == "data":
            data.append(value)
        elif kind in ("variable_begin", "block_begin"):
            data.append("\x00")  # an expression cuts the text
    text = "".join(data)
    text = re.sub(r"<(script|style)\b.*?</\1>", "\x00", text, flags=re.S | re.I)
    attrs = [v for _k, v in ATTRS.findall(text)]
    text = re.sub(r"<[^>]*>", "\x00", text)
    return [html.unescape(t).strip() for t in text.split("\x00")] + [a.strip() for a in attrs]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_text_left_unmarked(template):
    """Words written straight into a template (outside ``_()``) would stay English: refused."""
    left = [t for t in _visible_text(template.read_text(encoding="utf-8"))
            if set(re.findall(r"[A-Za-zÀ-ÿ]{2,}", t)) - ALLOWED and t not in ("login", "pos")]
    assert left == [], f"unmarked text in {template.name}: {left}"


def test_french_catalog_uses_the_french_plural_rule():
    catalog = i18n_catalogs.read(i18n_catalogs.po_path(ROOT / "plugins/dashboard/makeplus_dashboard", "fr"))
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n > 1)"


def test_catalogs_compile_from_a_fresh_checkout(tmp_path):
    """No .mo is committed: they are built from the .po (by make install, or at start-up)."""
    src = ROOT / "makeplus_core" / "locale"
    copy = tmp_path / "locale"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("*.mo"))
    assert not list(copy.rglob("*.mo"))
    assert i18n.compile_catalogs(copy) == copy
    assert sorted(p.parent.parent.name for p in copy.rglob("makeplus.mo")) == ["en", "fr"]
    copy.chmod(0o555)  # a read-only (installed) package: compiled into a cache folder instead
    for po in copy.rglob("*.po"):
        po.touch()
    try:
        target = i18n.compile_catalogs(copy)
    finally:
        copy.chmod(0o755)
    assert (target / "fr" / "LC_MESSAGES" / "makeplus.mo").exists()


def test_mo_files_are_not_committed():
    ignore = (ROOT / ".gitignore").read_text()
    assert "*.mo" in ignore


# --------------------------------------------------------------------------- API errors


def test_api_errors_follow_accept_language_with_stable_codes(app, f):
    event = f.event()
    h = f.auth(f.member(event, "gestionnaire_des_salles"), event)
    missing = "/api/rooms/00000000-0000-4000-8000-000000000000/"
    en = app.get(missing, headers=h, status=404).json
    fr = app.get(missing, headers={**h, "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}, status=404).json
    assert en["message"] == "Room not found" and fr["message"] == "Salle introuvable"
    assert en["error"] == fr["error"] == "not_found" and set(en) == set(fr)
    # 401: the JSON shape and code unchanged, the message French
    r = app.get("/api/auth/me/", headers={"Accept-Language": "fr"}, status=401)
    assert r.json["error"] == "not_authenticated" and "authentification" in r.json["message"]
    assert r.headers["Content-Language"] == "fr" and "Accept-Language" in r.headers["Vary"]


def test_validation_errors_in_french_name_the_same_field(app, f):
    event = f.event()
    h = f.auth(f.member(event, "gestionnaire_des_salles"), event)
    en = app.post_json("/api/rooms/", {"capacity": 10}, headers=h, status=400).json
    fr = app.post_json("/api/rooms/", {"capacity": 10}, headers={**h, "Accept-Language": "fr"}, status=400).json
    assert en["field"] == fr["field"] == "name" and en["error"] == fr["error"] == "validation_failed"
    assert en["errors"][0]["description"] == "Required"
    assert fr["errors"][0]["description"] == "Requis" and fr["message"] == "name: Requis"


def test_api_default_is_english_without_accept_language(app, f):
    """Existing clients (the mobile app sends no Accept-Language) keep the English messages."""
    event = f.event()
    h = f.auth(f.member(event, "participant"), event)
    r = app.get("/api/rooms/00000000-0000-4000-8000-000000000000/", headers=h, status=404)
    assert r.json["message"] == "Room not found" and r.headers["Content-Language"] == "en"


# --------------------------------------------------------------------------- pages


def _dashboard(app, f):
    from makeplus_dashboard.testing import login

    admin = f.user(email="admin@i18n.test", is_admin=True)
    start = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    event = f.event(name="Salon Algérie", start=start, days=2, timezone="Africa/Algiers")
    login(app, admin.email)
    return event


@pytest.mark.plugin("dashboard")
def test_dashboard_is_french_by_default_with_french_dates(app, f):
    event = _dashboard(app, f)
    page = app.get("/dashboard/")
    assert '<html lang="fr">' in page.text
    assert "Événements" in page.text and "Nouvel événement" in page.text and "Se déconnecter" in page.text
    # 09:00 UTC is 10:00 in Algiers: the event's time zone, French medium date
    assert "10 mars 2026 10:00" in page.text
    detail = app.get(f"/dashboard/events/{event.id}/")
    assert "Vue d'ensemble" in html.unescape(detail.text) and "(Africa/Algiers)" in detail.text
    assert "total des salles" in detail.text


@pytest.mark.plugin("dashboard")
def test_dashboard_in_english_with_accept_language(app, f):
    _dashboard(app, f)
    page = app.get("/dashboard/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in page.text and "New event" in page.text and "Log out" in page.text
    assert "Mar 10, 2026 10:00\u202fAM" in page.text  # Babel's English medium date, short time
    assert "Événements" not in page.text


@pytest.mark.plugin("dashboard")
def test_the_switch_remembers_the_language_in_a_cookie(app, f):
    _dashboard(app, f)
    page = app.get("/dashboard/")
    assert 'hreflang="en"' in page.text  # the switch
    en = app.get("/dashboard/?lang=en")
    assert '<html lang="en">' in en.text
    assert any("makeplus_lang=en" in c for c in en.headers.getall("Set-Cookie"))  # beside the session's
    assert '<html lang="en">' in app.get("/dashboard/").text  # the cookie, no parameter
    assert '<html lang="fr">' in app.get("/dashboard/?lang=fr").text
    assert '<html lang="fr">' in app.get("/dashboard/?lang=xx").text  # unknown languages are ignored


@pytest.mark.plugin("dashboard")
def test_flash_messages_and_form_errors_are_translated(app, f):
    from makeplus_dashboard.testing import form_with

    event = _dashboard(app, f)
    rooms = app.get(f"/dashboard/events/{event.id}/rooms/")
    form = form_with(rooms, "capacity")
    form["capacity"] = "12"
    r = form.submit(status=400)
    assert 'id="err-name"' in r.text and "Requis" in r.text
    form = form_with(r, "capacity")
    form["name"] = "Amphi Nord"
    page = form.submit(status=302).follow()
    assert "Salle « Amphi Nord » créée." in page.text


@pytest.mark.plugin("caisse")
def test_pos_page_in_french_with_money_in_the_french_format(app, f):
    import sys

    sys.path.insert(0, str(ROOT / "plugins" / "caisse" / "tests"))
    from helpers import make_world

    w = make_world(app, f)
    form = app.get("/caisse/login/").forms[0]
    form["email"], form["password"] = w.caisse["email"], "caisse-pass-123"
    form.submit(status=303)
    page = app.get(f"/caisse/participants/{w.buyer.id}/")
    assert '<html lang="fr">' in page.text and "Encaisser" in page.text and "Se déconnecter" in page.text
    assert f"6{NNBSP}000,00{NBSP}DZD" in page.text  # the atelier's price
    en = app.get(f"/caisse/participants/{w.buyer.id}/?lang=en")
    assert '<html lang="en">' in en.text and ">Pay<" in en.text and "DZD6,000.00" in en.text


def test_account_pages_follow_the_language(app, f):
    page = app.get("/account/password-reset/")
    assert '<html lang="fr">' in page.text and "Nouveau mot de passe" in page.text
    page = app.get("/account/password-reset/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text and "New password" in page.text
    page = app.get("/account/invitation/?token=nope", status=400)
    assert "<html lang=fr>" in page.text and "Ce lien est invalide" in page.text
    page = app.get("/account/verify-email/?token=nope&lang=en", status=400)
    assert "<html lang=en>" in page.text and "This link is invalid" in page.text


# --------------------------------------------------------------------------- mails


def test_reset_mail_is_french_by_default_and_english_when_asked(app, f):
    f.user(email="mail@i18n.test")
    outbox = app.app.registry.makeplus.mailer.outbox
    outbox.clear()
    app.post_json("/api/auth/password-reset/", {"email": "mail@i18n.test"})
    assert outbox[-1].subject == "MakePlus : réinitialisez votre mot de passe"
    assert "utilisez ce code dans les deux heures" in outbox[-1].body
    app.post_json("/api/auth/password-reset/", {"email": "mail@i18n.test"}, headers={"Accept-Language": "en"})
    assert outbox[-1].subject == "MakePlus: reset your password"


def test_invitation_mail_is_french_whatever_the_organisers_language(app, f):
    event = f.event(name="Forum Oran")
    h = f.auth(f.member(event, "gestionnaire_des_salles"), event)
    outbox = app.app.registry.makeplus.mailer.outbox
    outbox.clear()
    app.post_json("/api/participants/", {"email": "nouveau@i18n.test", "first_name": "Nadia"},
                  headers={**h, "Accept-Language": "en"}, status=201)
    mail = [m for m in outbox if "nouveau@i18n.test" in m.recipients][-1]
    assert mail.subject == "MakePlus : vous êtes invité(e) à Forum Oran"
    assert "Pour choisir votre mot de passe" in mail.body


def test_participant_mails_follow_the_events_language_when_it_names_one(app, f):
    event = f.event(name="Tech Summit", meta={"language": "en"})
    h = f.auth(f.member(event, "gestionnaire_des_salles"), event)
    outbox = app.app.registry.makeplus.mailer.outbox
    outbox.clear()
    app.post_json("/api/participants/", {"email": "guest@i18n.test"}, headers=h, status=201)
    mail = [m for m in outbox if "guest@i18n.test" in m.recipients][-1]
    assert mail.subject == "MakePlus: you are invited to Tech Summit"


# --------------------------------------------------------------------------- formats


def test_babel_formats():
    when = dt.datetime(2026, 3, 10, 9, 5, tzinfo=dt.UTC)
    assert i18n.format_datetime(when, tz="Africa/Algiers", locale="fr") == "10 mars 2026 10:05"
    assert i18n.format_datetime(when, tz="UTC", locale="en") == "Mar 10, 2026 9:05\u202fAM"
    assert i18n.format_number(1234567, locale="fr") == f"1{NNBSP}234{NNBSP}567"
    assert i18n.format_money("5000.00", locale="fr") == f"5{NNBSP}000,00{NBSP}DZD"
    assert i18n.format_money("5000.00", locale="en") == "DZD5,000.00"
    assert i18n.format_datetime(None) == "—"
