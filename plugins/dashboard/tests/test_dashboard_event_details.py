"""The event wizard and edit form carry themes, metadata (JSON) and location details
(issue 18); bad input is a 400 next to the field, nothing written."""
import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import Event
from makeplus_dashboard.testing import form_with, login


def test_themes_metadata_and_location_details(dash, f, db):
    admin = f.user(is_admin=True)
    login(dash, admin.email)
    form = form_with(dash.get("/dashboard/events/new/"), "name")
    form["name"] = "Salon Détails"
    form["start_date"] = "2026-09-20T08:00"
    form["end_date"] = "2026-09-22T18:00"
    form["themes"] = "IA, Santé\nÉnergie"
    form["metadata"] = '{"hashtag": "#SD2026"'
    form["location_venue"] = "CIC Alger"
    form["location_city"] = "Alger"
    form["location_map_url"] = "https://maps.example.org/cic"
    r = form.submit(status=400)
    assert 'id="err-metadata"' in r.text and "Salon Détails" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.name == "Salon Détails")) == 0
    db.commit()
    form = form_with(r, "name")
    form["metadata"] = '{"hashtag": "#SD2026"}'
    form["location_map_url"] = "javascript:alert(1)"
    r = form.submit(status=400)
    assert 'id="err-location_map_url"' in r.text
    form = form_with(r, "name")
    form["location_map_url"] = "https://maps.example.org/cic"
    form.submit(status=302)
    event = db.scalar(sa.select(Event).where(Event.name == "Salon Détails"))
    db.commit()
    assert event.themes == ["IA", "Santé", "Énergie"]
    assert event.meta == {"hashtag": "#SD2026", "location": {"venue": "CIC Alger", "city": "Alger",
                                                             "map_url": "https://maps.example.org/cic"}}
    # The edit form shows them back; the API's JSON carries them.
    edit = form_with(dash.get(f"/dashboard/events/{event.id}/edit/"), "name")
    assert edit["themes"].value == "IA, Santé, Énergie" and edit["location_venue"].value == "CIC Alger"
    assert '"hashtag": "#SD2026"' in edit["metadata"].value and "location" not in edit["metadata"].value
    edit["location_venue"] = ""
    edit["location_city"] = ""
    edit["location_map_url"] = ""
    edit["themes"] = "IA"
    edit.submit(status=302)
    api = webtest.TestApp(dash.app)
    j = api.get(f"/api/events/{event.id}/", headers=f.auth(admin)).json
    assert j["themes"] == ["IA"] and j["metadata"] == {"hashtag": "#SD2026"}
