"""The event page's recent activity (audit trail + door check-ins, with links) and the
Exports page (participants, scan journal, reports, plugins' files), issue 18."""
import datetime as dt
import io

import openpyxl
import pytest

from makeplus_core.plugin_api import RoomAccess, utcnow
from makeplus_dashboard.testing import login

# Written against the English wording (French is the default since issue 18).
pytestmark = pytest.mark.usefixtures("english")

GEST = "gestionnaire_des_salles"


def cells(body) -> list:
    ws = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [[c.value for c in row] for row in ws.iter_rows()]


def activity(resp) -> str:
    text = resp.text
    start = text.index('id="recent-activity"')
    return text[start:text.index("</section>", start)]


def test_recent_activity_lists_registrations_check_ins_and_links(dash, f, db):
    event, other = f.event(name="Activity Fest"), f.event(name="Elsewhere")
    gest = f.member(event, GEST, first_name="Gina", last_name="Gest")
    room = f.room(event, name="Salle Atlas")
    h = f.auth(gest, event)
    new = dash.post_json("/api/participants/", {"email": "newcomer@example.org", "first_name": "Nadia",
                                                 "last_name": "Newcomer", "badge_number": "ACT-1"},
                         headers=h, status=201).json
    walker = f.member(event, "participant", first_name="Walid", last_name="Walker")
    f.commit(RoomAccess(event_id=event.id, room_id=room.id, user_id=walker.id, verified_by_id=gest.id,
                        access_time=utcnow() - dt.timedelta(minutes=1), status="granted", layer="core",
                        reason="granted", http_status=200))
    # Another event's activity never shows.
    og = f.member(other, GEST)
    dash.post_json("/api/participants/", {"email": "outsider@example.org"}, headers=f.auth(og, other), status=201)
    dash.reset()
    login(dash, gest.email)
    panel = activity(dash.get(f"/dashboard/events/{event.id}/"))
    assert "Registration" in panel and "Nadia Newcomer · ACT-1" in panel and "Gina Gest" in panel
    assert f"/dashboard/events/{event.id}/users/{new['user']}/" in panel
    assert "Check-in" in panel and "Walid Walker · Salle Atlas" in panel
    assert f"/dashboard/events/{event.id}/users/{walker.id}/" in panel
    assert "outsider" not in panel
    # A participant checked in by staff through the API.
    dash.patch_json(f"/api/participants/{new['id']}/", {"is_checked_in": True}, headers=h, status=200)
    panel = activity(dash.get(f"/dashboard/events/{event.id}/"))
    assert "Nadia Newcomer checked in by staff" in panel


def test_recent_activity_is_a_fixed_number_of_statements(dash, f, db, count_queries):
    event = f.event()
    gest = f.member(event, GEST)
    h = f.auth(gest, event)
    dash.reset()
    login(dash, gest.email)
    counts = []
    for n in (2, 12):
        for i in range(n):
            dash.post_json("/api/participants/", {"email": f"p{n}-{i}@example.org"}, headers=h, status=201)
        with count_queries() as q:
            dash.get(f"/dashboard/events/{event.id}/")
        counts.append(q.count)
    assert counts[0] == counts[1], counts


@pytest.mark.plugin("caisse", "qa")
def test_sales_and_questions_come_from_the_plugins(dash, f, db):
    event = f.event(name="Plugin Fest")
    gest = f.member(event, GEST)
    room = f.room(event)
    session = f.session(event, room, title="Keynote")
    member = f.member(event, "participant", first_name="Qi", last_name="Asker")
    dash.post_json("/api/session-questions/", {"session": str(session.id), "question_text": "Where are the slides?"},
                   headers=f.auth(member, event), status=201)
    gh = f.auth(gest, event)
    desk = dash.post_json("/api/caisse/caisses/", {"name": "Desk", "email": "desk@plugin.test",
                                                   "password": "caisse-pass-123"}, headers=gh, status=201).json
    item = dash.post_json("/api/caisse/items/", {"item_type": "dinner", "name": "Dîner", "price": "3500.00"},
                          headers=gh, status=201).json
    ch = {"Authorization": "Bearer " + dash.post_json("/api/caisse/auth/login/", {
        "email": desk["email"], "password": "caisse-pass-123"}, status=200).json["access"]}
    buyer = f.participant_of(member, event)
    db.commit()
    dash.post_json("/api/caisse/pos/transactions/", {"participant": str(buyer.id), "items": [item["id"]],
                                                     "payment_method": "cash"}, headers=ch, status=201)
    dash.reset()
    login(dash, gest.email)
    panel = activity(dash.get(f"/dashboard/events/{event.id}/"))
    assert "Question" in panel and "Where are the slides?" in panel
    assert f"/dashboard/events/{event.id}/questions/" in panel
    assert "Sale" in panel and "3500.00 DZD" in panel
    assert f"/dashboard/events/{event.id}/caisse/transactions/" in panel
    # The Q&A module switched off for the event: its lines vanish (the data is kept).
    dash.patch_json(f"/api/events/{event.id}/", {"modules": {"qa": False}}, headers=gh, status=200)
    panel = activity(dash.get(f"/dashboard/events/{event.id}/"))
    assert "Where are the slides?" not in panel and "3500.00 DZD" in panel
    exports = dash.get(f"/dashboard/events/{event.id}/exports/")
    assert "Cash-desk transactions" in exports.text
    xlsx = exports.click(href="caisse/transactions/export")
    assert any("Dîner" in str(c) for row in cells(xlsx.body) for c in row)


def test_exports_page_downloads_every_file_of_the_event_only(dash, f, db):
    event, other = f.event(name="Export Fest"), f.event(name="Other Export")
    gest = f.member(event, GEST)
    room = f.room(event, name="Hall Export")
    f.session(event, room, title="Opening talk")
    holder = f.member(event, "participant", email="holder@export.example")
    f.commit(RoomAccess(event_id=event.id, room_id=room.id, user_id=holder.id, verified_by_id=gest.id,
                        access_time=utcnow(), status="granted", layer="core", reason="granted", http_status=200))
    login(dash, gest.email)
    page = dash.get(f"/dashboard/events/{event.id}/exports/")
    for name in ("participants", "scans", "sessions-report", "event-report"):
        assert f'id="export-{name}"' in page.text
    people = cells(page.click(href="participants/export.xlsx").body)
    assert any("holder@export.example" in row for row in people)
    scans = page.click(href="exports/scans.xlsx")
    assert scans.headers["Cache-Control"] == "private, no-store"
    rows = cells(scans.body)
    assert rows[0][0] == "Time (UTC)" and rows[1][1] == "granted" and rows[1][3] == "Hall Export"
    sessions = cells(page.click(href="exports/sessions-report.xlsx").body)
    assert sessions[0][0] == "title" and sessions[1][0] == "Opening talk"
    report = cells(page.click(href="exports/event-report.xlsx").body)
    assert report[1][0] == "Export Fest" and len(report) == 2
    dash.get(f"/dashboard/events/{other.id}/exports/scans.xlsx", status=404)
    dash.get(f"/dashboard/events/{event.id}/exports/everything.xlsx", status=404)
