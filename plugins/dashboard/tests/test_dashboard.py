"""WebTest tests of the dashboard pages and forms."""
import datetime as dt

import pytest
import sqlalchemy as sa

from makeplus_core.plugin_api import Event, Room, RoomAssignment, Session, User, UserEventAssignment
from makeplus_dashboard.testing import csrf_token, form_with, login

# Written against the pages' English wording (French is the default since issue 18: tests/test_i18n.py).
pytestmark = pytest.mark.usefixtures("english")

START = dt.datetime(2026, 9, 20, 8, 0, tzinfo=dt.UTC)


def admin_in(dash, f):
    f.user(email="admin@x.org", is_admin=True)
    login(dash, "admin@x.org", status=302)


def event_with_gestionnaire(f, name="Event A"):
    event = f.event(name=name, start=START)
    g = f.member(event, "gestionnaire_des_salles", email=f"g-{name[-1].lower()}@x.org")
    return event, g


# --------------------------------------------------------------------------- login / access


def test_login_page_and_redirects(dash, f):
    r = dash.get("/dashboard/", status=302)
    assert r.location.endswith("/dashboard/login/?next=/dashboard/")
    page = dash.get("/dashboard/login/")
    assert "Log in" in page.text and 'name="csrf_token"' in page.text
    assert "/dashboard/static/dashboard.css" in page.text
    assert dash.get("/dashboard/static/dashboard.css").content_type == "text/css"


def test_admin_login_logout(dash, f):
    f.user(email="admin@x.org", is_admin=True)
    r = login(dash, "admin@x.org", status=302)
    home = r.follow()
    assert "Events" in home.text and "admin@x.org" not in "" and "Log out" in home.text
    # The session cookie never authorises the JSON API.
    dash.get("/api/events/", status=401)
    form_with(home, "csrf_token")  # logout form
    logout = [fm for fm in home.forms.values() if fm.action.endswith("/dashboard/logout/")][0]
    logout.submit(status=302)
    dash.get("/dashboard/", status=302)


def test_wrong_password(dash, f):
    f.user(email="admin@x.org", is_admin=True)
    r = login(dash, "admin@x.org", password="nope-nope", status=401)
    assert "Wrong e-mail or password" in r.text
    assert 'value="admin@x.org"' in r.text


def test_participant_and_controller_refused(dash, f):
    event = f.event(start=START)
    f.member(event, "participant", email="p@x.org")
    r = login(dash, "p@x.org", status=403)
    assert "Access refused" in r.text
    f.member(event, "controlleur_des_badges", email="c@x.org")
    r = login(dash, "c@x.org", status=403)
    assert "Access refused" in r.text
    dash.get("/dashboard/", status=302)  # still not logged in


def test_csrf_refusal(dash, f, db):
    admin_in(dash, f)
    page = dash.get("/dashboard/events/new/")
    data = {"name": "Sneaky", "start_date": "2026-09-20T08:00", "end_date": "2026-09-21T08:00"}
    r = dash.post("/dashboard/events/new/", data, status=400)
    assert "Form expired" in r.text and "Nothing was saved" in r.text
    r = dash.post("/dashboard/events/new/", {**data, "csrf_token": "wrong"}, status=400)
    assert "Form expired" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    # Login form too
    dash.reset()
    dash.post("/dashboard/login/", {"email": "admin@x.org", "password": "x"}, status=400)
    assert page.status_int == 200


def test_gestionnaire_sees_only_their_events(dash, f):
    a, g = event_with_gestionnaire(f, "Event A")
    b, _ = event_with_gestionnaire(f, "Event B")
    room_b = f.room(b, name="Salle B")
    login(dash, g.email, status=302)
    home = dash.get("/dashboard/")
    assert "Event A" in home.text and "Event B" not in home.text
    dash.get(f"/dashboard/events/{a.id}/")
    for path in ("", "edit/", "delete/", "rooms/", f"rooms/{room_b.id}/", "sessions/", "users/",
                 "wizard/rooms/"):
        r = dash.get(f"/dashboard/events/{b.id}/{path}", status=404)
        assert "Page not found" in r.text
    r = dash.post(f"/dashboard/events/{b.id}/delete/", {"csrf_token": csrf_token(home)}, status=404)
    dash.get(f"/dashboard/events/{a.id}/rooms/{room_b.id}/", status=404)
    dash.get(f"/dashboard/switch/?event={b.id}", status=404)
    dash.get("/dashboard/events/not-an-id/", status=404)


def test_admin_sees_all_events_and_search_pagination(dash, f):
    for i in range(23):
        f.event(name=f"Congress {i:02d}", start=START)
    f.event(name="Salon Oran", start=START, location="Oran")
    admin_in(dash, f)
    r = dash.get("/dashboard/")
    assert "Page 1 / 2" in r.text and "24 results" in r.text
    r = dash.get("/dashboard/?page=2")
    assert "Page 2 / 2" in r.text and r.text.count('data-label="Event"') == 4
    r = dash.get("/dashboard/?q=oran")
    assert "Salon Oran" in r.text and r.text.count('data-label="Event"') == 1 and "1 result" in r.text
    r = dash.get("/dashboard/?page=abc")
    assert "Page 1 / 2" in r.text


# --------------------------------------------------------------------------- wizard and events


def test_wizard_end_to_end(dash, f, db):
    f.user(email="staff@x.org")
    admin_in(dash, f)
    page = dash.get("/dashboard/events/new/")
    form = form_with(page, "name")
    form["name"] = "Congrès <Alger>"
    form["start_date"] = "2026-09-20T08:00"
    form["end_date"] = "2026-09-22T18:00"
    form["location"] = "Alger"
    r = form.submit(status=302)
    event = db.scalar(sa.select(Event).where(Event.name == "Congrès <Alger>"))
    assert r.location.endswith(f"/dashboard/events/{event.id}/wizard/rooms/")
    rooms = r.follow()
    assert "Congrès &lt;Alger&gt;" in rooms.text  # escaped
    form = form_with(rooms, "name")
    form["name"] = "Salle A"
    form["capacity"] = "50"
    rooms = form.submit(status=302).follow()
    assert "Salle A" in rooms.text
    form = form_with(rooms, "name")
    form["name"] = "Salle A"
    r = form.submit(status=409)
    assert "already exists" in r.text and 'value="Salle A"' in r.text
    sessions = dash.get(f"/dashboard/events/{event.id}/wizard/sessions/")
    form = form_with(sessions, "title")
    form["title"] = "Opening"
    form["room"] = str(db.scalar(sa.select(Room.id).where(Room.event_id == event.id)))
    form["start_time"] = "2026-09-20T09:00"
    form["end_time"] = "2026-09-20T10:00"
    sessions = form.submit(status=302).follow()
    assert "Opening" in sessions.text
    staff_page = dash.get(f"/dashboard/events/{event.id}/wizard/staff/")
    form = form_with(staff_page, "email")
    form["email"] = "staff@x.org"
    form["role"] = "controlleur_des_badges"
    staff_page = form.submit(status=302).follow()
    assert "controlleur_des_badges" in staff_page.text
    form = form_with(staff_page, "email")
    form["email"] = "new.gest@x.org"
    form["first_name"] = "Nadia"
    form["role"] = "gestionnaire_des_salles"
    form.submit(status=302)
    roles = dict(db.execute(sa.select(User.email, UserEventAssignment.role).join(
        UserEventAssignment, UserEventAssignment.user_id == User.id).where(
        UserEventAssignment.event_id == event.id)).all())
    assert roles == {"staff@x.org": "controlleur_des_badges", "new.gest@x.org": "gestionnaire_des_salles"}
    detail = dash.get(f"/dashboard/events/{event.id}/")
    assert "total sessions" in detail.text and "<svg" in detail.text
    dash.get(f"/dashboard/events/{event.id}/wizard/nope/", status=404)


def test_wizard_validation_keeps_input(dash, f, db):
    admin_in(dash, f)
    page = dash.get("/dashboard/events/new/")
    form = form_with(page, "name")
    form["name"] = "Bad dates"
    form["start_date"] = "2026-09-22T08:00"
    form["end_date"] = "2026-09-20T08:00"
    r = form.submit(status=400)
    assert 'id="err-end_date"' in r.text and "must be after start_date" in r.text
    assert 'value="Bad dates"' in r.text
    form = form_with(r, "name")
    form["start_date"] = "not a date"
    r = form.submit(status=400)
    assert 'id="err-start_date"' in r.text
    form = form_with(r, "name")
    form["name"] = ""
    form["start_date"] = "2026-09-20T08:00"
    form["end_date"] = "2026-09-21T08:00"
    r = form.submit(status=400)
    assert 'id="err-name"' in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_gestionnaire_creates_event_and_manages_it(dash, f, db):
    a, g = event_with_gestionnaire(f)
    login(dash, g.email, status=302)
    page = dash.get("/dashboard/events/new/")
    form = form_with(page, "name")
    form["name"] = "Mine"
    form["start_date"] = "2026-10-01T08:00"
    form["end_date"] = "2026-10-02T08:00"
    form.submit(status=302)
    event = db.scalar(sa.select(Event).where(Event.name == "Mine"))
    dash.get(f"/dashboard/events/{event.id}/")
    assert "Mine" in dash.get("/dashboard/").text


def test_event_edit_and_delete(dash, f, db):
    event = f.event(name="Old", start=START)
    room = f.room(event)
    f.session(event, room)
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/edit/")
    form = form_with(page, "name")
    assert form["name"].value == "Old"
    form["name"] = "New name"
    form["primary_color"] = "blue"
    r = form.submit(status=400)
    assert 'id="err-primary_color"' in r.text and 'value="New name"' in r.text
    form = form_with(r, "name")
    form["primary_color"] = "#112233"
    form.submit(status=302)
    db.expire_all()
    assert db.get(Event, event.id).name == "New name"
    confirm = dash.get(f"/dashboard/events/{event.id}/delete/")
    assert "Yes, delete" in confirm.text
    eid = event.id
    [fm for fm in confirm.forms.values() if fm.action.endswith("/delete/")][0].submit(status=302).follow()
    assert db.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.id == eid)) == 0


def test_event_detail_metrics_and_charts(dash, f, db):
    from makeplus_core.plugin_api import RoomAccess

    event = f.event(name="Charts", start=START)
    room = f.room(event, name="Hall <1>", capacity=10)
    p = f.member(event, "participant")
    for minutes in (5, 10, 70):
        db.add(RoomAccess(event_id=event.id, room_id=room.id, user_id=p.id, status="granted", layer="ok",
                          access_time=START + dt.timedelta(minutes=minutes)))
    db.commit()
    admin_in(dash, f)
    r = dash.get(f"/dashboard/events/{event.id}/")
    assert 'id="metrics"' in r.text and "total participants" in r.text
    assert "Hall &lt;1&gt; · 2026-09-20 08:00: 2 scans" in r.text
    assert "Hall &lt;1&gt; · 2026-09-20 09:00: 1 scans" in r.text
    assert "Current room occupancy" in r.text


# --------------------------------------------------------------------------- rooms


def test_rooms_pages(dash, f, db):
    event = f.event(start=START)
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/rooms/")
    form = form_with(page, "capacity")
    form["name"] = "Amphi"
    form["capacity"] = "-3"
    r = form.submit(status=400)
    assert 'id="err-capacity"' in r.text and 'value="Amphi"' in r.text
    form = form_with(r, "capacity")
    form["capacity"] = "120"
    r = form.submit(status=302)
    room = db.scalar(sa.select(Room).where(Room.event_id == event.id))
    assert room.capacity == 120
    detail = r.follow()
    form = form_with(detail, "is_active")
    form["name"] = "Amphi A"
    form["is_active"] = False
    form.submit(status=302)
    db.expire_all()
    room = db.get(Room, room.id)
    assert room.name == "Amphi A" and room.is_active is False
    for i in range(25):
        f.room(event, name=f"Box {i:02d}")
    r = dash.get(f"/dashboard/events/{event.id}/rooms/?q=box")
    assert "25 results" in r.text and "Page 1 / 2" in r.text
    r = dash.get(f"/dashboard/events/{event.id}/rooms/?active=no")
    assert "Amphi A" in r.text and "Box 00" not in r.text


def test_room_staff_assignment_with_clash(dash, f, db):
    event = f.event(start=START)
    r1, r2 = f.room(event, name="R1"), f.room(event, name="R2")
    ctrl = f.member(event, "controlleur_des_badges", email="ctrl@x.org")
    f.session(event, r1)
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/rooms/{r1.id}/")
    form = form_with(page, "user")
    form["user"] = str(ctrl.id)
    form["start_time"] = "2026-09-20T08:00"
    form["end_time"] = "2026-09-20T12:00"
    form.submit(status=302)
    page = dash.get(f"/dashboard/events/{event.id}/rooms/{r2.id}/")
    form = form_with(page, "user")
    form["user"] = str(ctrl.id)
    form["start_time"] = "2026-09-20T10:00"
    form["end_time"] = "2026-09-20T11:00"
    r = form.submit(status=409)
    assert "already assigned to room R1" in r.text and 'id="err-user"' in r.text
    form = form_with(r, "user")
    form["end_time"] = "2026-09-20T09:00"
    r = form.submit(status=400)
    assert "must be after start_time" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAssignment)) == 1
    page = dash.get(f"/dashboard/events/{event.id}/rooms/{r1.id}/")
    assert "ctrl@x.org" in page.text or ctrl.full_name in page.text
    # delete a room that still holds a session: the 409 message is shown
    delete = [fm for fm in page.forms.values() if fm.action.endswith("/delete/") and "/assign/" not in fm.action][0]
    r = delete.submit(status=409)
    assert "still holds 1 session" in r.text
    unassign = [fm for fm in page.forms.values() if "/assign/" in fm.action and fm.action.endswith("/delete/")][0]
    unassign.submit(status=302)
    assert db.scalar(sa.select(sa.func.count()).select_from(RoomAssignment)) == 0


# --------------------------------------------------------------------------- sessions


def test_sessions_create_edit_errors(dash, f, db):
    event = f.event(start=START)
    room = f.room(event, name="R1")
    f.session(event, room, start=START + dt.timedelta(hours=1), title="Existing")
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/sessions/new/")
    form = form_with(page, "title")
    form["title"] = "Clash"
    form["room"] = str(room.id)
    form["start_time"] = "2026-09-20T09:30"
    form["end_time"] = "2026-09-20T10:30"
    r = form.submit(status=409)
    assert "already booked by the session &#39;Existing&#39;" in r.text or "already booked" in r.text
    assert 'id="err-start_time"' in r.text and 'value="Clash"' in r.text
    form = form_with(r, "title")
    form["start_time"] = "2026-09-20T11:00"
    form["end_time"] = "2026-09-20T12:00"
    form["is_paid"] = True
    form["price"] = "abc"
    r = form.submit(status=400)
    assert 'id="err-price"' in r.text
    form = form_with(r, "title")
    form["price"] = "0"
    r = form.submit(status=400)
    assert "price greater than 0" in r.text
    form = form_with(r, "title")
    form["price"] = "2500.00"
    form["session_type"] = "atelier"
    form["capacity"] = "20"
    form.submit(status=302)
    s = db.scalar(sa.select(Session).where(Session.title == "Clash"))
    assert s.is_paid and str(s.price) == "2500.00" and s.capacity == 20
    # outside the event
    page = dash.get(f"/dashboard/events/{event.id}/sessions/new/")
    form = form_with(page, "title")
    form["title"] = "Late"
    form["room"] = str(room.id)
    form["start_time"] = "2027-01-01T09:00"
    form["end_time"] = "2027-01-01T10:00"
    assert "during the event" in form.submit(status=400).text
    form["room"] = ""
    assert 'id="err-room"' in form.submit(status=400).text
    # edit
    edit = dash.get(f"/dashboard/events/{event.id}/sessions/{s.id}/")
    form = form_with(edit, "title")
    assert form["title"].value == "Clash" and form["price"].value == "2500.00"
    form["title"] = "Atelier 3D"
    form["speaker_name"] = "Dr. Amine"
    form.submit(status=302)
    db.expire_all()
    assert db.get(Session, s.id).speaker_name == "Dr. Amine"
    # list, search, filters
    r = dash.get(f"/dashboard/events/{event.id}/sessions/?q=amine")
    assert "Atelier 3D" in r.text and "Existing" not in r.text
    r = dash.get(f"/dashboard/events/{event.id}/sessions/?paid=yes&type=atelier&room={room.id}")
    assert "Atelier 3D" in r.text and "Existing" not in r.text
    delete = [fm for fm in edit.forms.values() if fm.action.endswith("/delete/")][0]
    sid = s.id
    delete.submit(status=302)
    assert db.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.id == sid)) == 0


# --------------------------------------------------------------------------- users


def test_user_quick_create_qr_and_role(dash, f, db):
    event = f.event(name="E", start=START)
    other = f.event(name="Other", start=START)
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/users/")
    form = form_with(page, "email")
    form["email"] = "not-an-email"
    r = form.submit(status=400)
    assert 'id="err-email"' in r.text
    form = form_with(r, "email")
    form["email"] = "Yasmine@X.org"
    form["first_name"] = "Yasmine"
    form["last_name"] = "B"
    form["role"] = "participant"
    r = form.submit(status=302)
    user = db.scalar(sa.select(User).where(User.email == "yasmine@x.org"))
    assert user.badge_id
    detail = r.follow()
    assert '<div class="qr" id="qr"><?xml' in detail.text or "<svg" in detail.text
    png = dash.get(f"/dashboard/events/{event.id}/users/{user.id}/qr.png")
    assert png.content_type == "image/png" and png.body.startswith(b"\x89PNG\r\n\x1a\n")
    svg = dash.get(f"/dashboard/events/{event.id}/users/{user.id}/qr.svg")
    assert svg.content_type == "image/svg+xml" and b"<svg" in svg.body
    dash.get(f"/dashboard/events/{other.id}/users/{user.id}/qr.png", status=404)
    # same e-mail again: one role per event -> 409 next to the field
    form = form_with(dash.get(f"/dashboard/events/{event.id}/users/"), "email")
    form["email"] = "yasmine@x.org"
    r = form.submit(status=409)
    assert "already assigned" in r.text
    # role change
    form = form_with(detail, "role")
    form["role"] = "exposant"
    form.submit(status=302)
    db.expire_all()
    assert db.scalar(sa.select(UserEventAssignment.role).where(UserEventAssignment.user_id == user.id)) == "exposant"
    detail = dash.get(f"/dashboard/events/{event.id}/users/{user.id}/")
    assert 'id="history"' in detail.text and "exposant" in detail.text
    # search + role filter + pagination
    for i in range(21):
        f.member(event, "participant", email=f"bulk{i}@x.org")
    r = dash.get(f"/dashboard/events/{event.id}/users/?q=yasmine")
    assert "yasmine@x.org" in r.text and "bulk" not in r.text
    r = dash.get(f"/dashboard/events/{event.id}/users/?role=participant")
    assert "21 results" in r.text and "Page 1 / 2" in r.text
    dash.get(f"/dashboard/events/{event.id}/users/999999/", status=404)


def test_every_page_renders_for_gestionnaire(dash, f):
    event, g = event_with_gestionnaire(f)
    room = f.room(event)
    session = f.session(event, room)
    login(dash, g.email, status=302)
    for path in ("", "edit/", "delete/", "rooms/", f"rooms/{room.id}/", "sessions/", "sessions/new/",
                 f"sessions/{session.id}/", "users/", f"users/{g.id}/", "wizard/rooms/", "wizard/sessions/",
                 "wizard/staff/"):
        r = dash.get(f"/dashboard/events/{event.id}/{path}")
        assert r.status_int == 200 and "<main>" in r.text, path
    r = dash.get("/dashboard/nothing-here/", status=404)
    assert "Page not found" in r.text


def test_event_form_plain_id_badges_and_location_details(dash, f, db):
    """Issue 17: organisers choose plain user-id badges knowingly on the event form."""
    event = f.event(name="Badges", start=START)
    admin_in(dash, f)
    page = dash.get(f"/dashboard/events/{event.id}/edit/")
    assert "Anyone who knows or guesses an id can print one" in page.text
    form = form_with(page, "name")
    assert form["accept_plain_user_id"].checked is True  # the test platform default (as development.ini)
    form["accept_plain_user_id"] = False
    form["location_details"] = "Entrée B, parking P3"
    form.submit(status=302)
    db.expire_all()
    saved = db.get(Event, event.id)
    assert saved.settings["accept_plain_user_id"] is False and saved.location_details == "Entrée B, parking P3"
    db.commit()
    page = dash.get(f"/dashboard/events/{event.id}/edit/")
    form = form_with(page, "name")
    assert form["accept_plain_user_id"].checked is False
    form["accept_plain_user_id"] = True
    form.submit(status=302)
    db.expire_all()
    assert db.get(Event, event.id).settings["accept_plain_user_id"] is True
    db.commit()
