"""French pages in real headless Chromium at 1280 and 375 px (issue 18): a French-speaking
organiser (the browser sends fr-FR) logs into the dashboard and the cash desk; French text,
French dates and money; the EN switch turns the pages English and is remembered."""
from __future__ import annotations

import datetime as dt
import pathlib
import sys

import pytest

from makeplus_core.testing import PASSWORD

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.plugin("dashboard")
def test_dashboard_in_french_then_english(app, f, page):
    admin = f.user(email="organisatrice@i18n.test", is_admin=True)
    start = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    event = f.event(name="Salon Algérie", start=start, days=2, timezone="Africa/Algiers")
    f.room(event, name="Amphi Nord", capacity=1200)
    page.goto("/dashboard/")
    page.wait_for_selector("h1:has-text('Se connecter')")
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Événements')")
    assert "10 mars 2026 10:00" in page.inner_text("#events")  # the event's time zone, French format
    page.shot("01-evenements")
    page.goto(f"/dashboard/events/{event.id}/")
    page.wait_for_selector("h2:has-text('Occupation des salles')")
    assert "1\u202f200" in page.inner_text("main")  # the room's capacity, French digit grouping
    page.shot("02-evenement")
    page.click("nav.langs >> text=EN")
    page.wait_for_selector("h2:has-text('Room occupancy')")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.goto("/dashboard/")  # remembered (cookie) without the parameter
    page.wait_for_selector("h1:has-text('Events')")
    page.shot("03-events-en")


@pytest.mark.plugin("caisse")
def test_cash_desk_in_french(app, f, page):
    sys.path.insert(0, str(ROOT / "plugins" / "caisse" / "tests"))
    from helpers import PW, make_world

    w = make_world(app, f)
    page.goto("/caisse/login/")
    page.wait_for_selector("button:has-text('Se connecter')")
    page.fill("#email", w.caisse["email"])
    page.fill("#password", PW)
    page.click("button[type=submit]")
    page.wait_for_selector("#q")
    page.goto(f"/caisse/participants/{w.buyer.id}/")
    page.wait_for_selector("#pay:has-text('Encaisser')")
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.inner_text("#total") == "Cochez les articles à vendre"
    page.check("input[name=item] >> nth=0")
    total = page.inner_text("#total")
    assert total.startswith("Total ") and ",00 DZD (1)" in total  # the browser's French number format
    page.shot("01-caisse")
