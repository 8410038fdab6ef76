"""The exposants page of the web dashboard: leads per exposant, top booths, Excel export."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from makeplus_exposants import services

# Written against the pages' English wording (French is the default since issue 18: tests/test_i18n.py).
pytestmark = pytest.mark.usefixtures("english")

GEST, PART, EXPO = "gestionnaire_des_salles", "participant", "exposant"
WINDOW = dt.timedelta(minutes=30)


@pytest.fixture
def dash(app):
    app.reset()
    yield app
    app.reset()


def lead(f, event, expo, visitor, notes=""):
    exposant, guest = f.participant_of(expo, event), f.participant_of(visitor, event)
    services.record_scan(f.db, event.id, exposant, guest, notes, WINDOW)
    f.db.commit()


@pytest.fixture
def world(f):
    event = f.event()
    w = type("W", (), {})()
    w.event = event
    w.gest = f.member(event, GEST, email="gest@x.org")
    w.expo = f.member(event, EXPO, first_name="Yasmine", last_name="Stand", organization="Acme")
    w.expo2 = f.member(event, EXPO, first_name="Karim", last_name="Booth", organization="Globex")
    w.ahmed = f.member(event, PART, first_name="Ahmed", last_name="Benali", email="ahmed@x.org",
                       organization="Sonatrach")
    w.sara = f.member(event, PART, first_name="Sara", last_name="Meziane", email="sara@x.org")
    lead(f, event, w.expo, w.ahmed, "=HYPERLINK(\"http://evil\")")
    lead(f, event, w.expo, w.sara, "wants a demo")
    lead(f, event, w.expo2, w.sara)
    w.other = f.event()
    w.other_gest = f.member(w.other, GEST, email="other@x.org")
    w.base = f"/dashboard/events/{event.id}/exposants/leads/"
    return w


def body(resp):
    return resp.text.split("<tbody>")[1].split("</tbody>")[0]


@pytest.mark.plugin("dashboard", "exposants")
def test_leads_page_for_gestionnaire(dash, world, f):
    from makeplus_dashboard.testing import login

    login(dash, "gest@x.org", status=302)
    overview = dash.get(f"/dashboard/events/{world.event.id}/")
    assert world.base in overview.text  # menu entry
    page = dash.get(world.base)
    rows = body(page)
    assert "Ahmed Benali" in rows and "Sara Meziane" in rows and "Acme" in rows and "Globex" in rows
    assert "wants a demo" in rows and "HYPERLINK(&#34;http://evil&#34;)" in rows
    assert 'id="top-booths"' in page.text and "<svg" in page.text
    top = page.text.split('id="top-booths"')[1]
    assert top.index("Yasmine Stand") < top.index("Karim Booth")  # 2 visits before 1
    assert "3 results" in page.text
    # search
    rows = body(dash.get(world.base + "?q=sonatrach"))
    assert "Ahmed Benali" in rows and "Sara Meziane" not in rows
    # filter by exposant
    expo2 = f.participant_of(world.expo2, world.event)
    filtered = dash.get(f"{world.base}?exposant={expo2.id}")
    rows = body(filtered)
    assert "Sara Meziane" in rows and "Ahmed Benali" not in rows and "1 result" in filtered.text
    assert f"export/?exposant={expo2.id}" in filtered.text
    # an exposant of another event (or not a UUID) is a 404 page
    foreign_expo = f.member(world.other, EXPO)
    dash.get(f"{world.base}?exposant={f.participant_of(foreign_expo, world.other).id}", status=404)
    dash.get(f"{world.base}?exposant=nope", status=404)


@pytest.mark.plugin("dashboard", "exposants")
def test_leads_pagination(dash, world, f):
    from makeplus_dashboard.testing import login

    for i in range(21):
        visitor = f.member(world.event, PART, first_name=f"Visitor{i:02d}", last_name="Z")
        lead(f, world.event, world.expo2, visitor)
    login(dash, "gest@x.org", status=302)
    first = dash.get(world.base)
    assert "Page 1 / 2" in first.text and "24 results" in first.text
    assert body(first).count("<tr>") == 20
    second = dash.get(world.base + "?page=2")
    assert body(second).count("<tr>") == 4


@pytest.mark.plugin("dashboard", "exposants")
def test_leads_export_link_returns_xlsx(dash, world):
    from makeplus_dashboard.testing import login

    login(dash, "gest@x.org", status=302)
    page = dash.get(world.base)
    link = page.html.find("a", id="leads-export")["href"]
    resp = dash.get(link)
    assert resp.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = openpyxl.load_workbook(io.BytesIO(resp.body)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Exposant", "Exposant organization", "Name")
    assert len(rows) == 4
    names = {(r[0], r[2]) for r in rows[1:]}
    assert names == {("Yasmine Stand", "Ahmed Benali"), ("Yasmine Stand", "Sara Meziane"),
                     ("Karim Booth", "Sara Meziane")}
    notes = [r[-1] for r in rows[1:] if r[2] == "Ahmed Benali"][0]
    assert notes == '=HYPERLINK("http://evil")'  # stored as text, not a formula
    cell = [c for row in ws.iter_rows() for c in row if c.value == notes][0]
    assert cell.data_type == "s"


@pytest.mark.plugin("dashboard", "exposants")
def test_other_event_gestionnaire_gets_404(dash, world):
    from makeplus_dashboard.testing import login

    login(dash, "other@x.org", status=302)
    dash.get(world.base, status=404)
    dash.get(world.base + "export/", status=404)


@pytest.mark.plugin("dashboard", "exposants")
def test_anonymous_is_sent_to_login(dash, world):
    resp = dash.get(world.base + "export/", status=302)
    assert "/dashboard/login/" in resp.location


@pytest.mark.plugin("dashboard")
def test_page_vanishes_when_exposants_disabled(make_app, f, engine):
    from makeplus_core.testing import clean_tables
    from makeplus_dashboard.testing import login

    app = make_app(**{"makeplus.plugins": "dashboard annonces"})
    try:
        event = f.event()
        f.member(event, GEST, email="gest@x.org")
        login(app, "gest@x.org", status=302)
        overview = app.get(f"/dashboard/events/{event.id}/")
        assert "/annonces/" in overview.text and "/exposants/" not in overview.text
        app.get(f"/dashboard/events/{event.id}/exposants/leads/", status=404)
        app.get(f"/dashboard/events/{event.id}/exposants/leads/export/", status=404)
    finally:
        app.reset()
        clean_tables(engine)
