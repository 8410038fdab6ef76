"""The dashboard never deletes an event that holds records, and does not list archived
events (issue 14, "Data that must not be lost or seen")."""
import datetime as dt

import sqlalchemy as sa

from makeplus_core.plugin_api import Event, RoomAccess, utcnow
from makeplus_dashboard.testing import login


def test_event_with_scans_is_not_deleted_from_the_dashboard(dash, f, db):
    admin = f.user(is_admin=True)
    event = f.event(name="Kept Event")
    room = f.room(event)
    holder = f.member(event, "participant")
    f.commit(RoomAccess(event_id=event.id, room_id=room.id, user_id=holder.id, verified_by_id=admin.id,
                        access_time=utcnow() - dt.timedelta(hours=1), status="granted", layer="core",
                        reason="granted", http_status=200))
    login(dash, admin.email)
    confirm = dash.get(f"/dashboard/events/{event.id}/delete/")
    form = [fm for fm in confirm.forms.values() if fm.action.endswith("/delete/")][0]
    r = form.submit(status=409)
    assert "archive" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.id == event.id)) == 1
    db.commit()
    # archived: no longer in the dashboard's event list
    assert "Kept Event" in dash.get("/dashboard/").text
    event.archived_at = utcnow()
    f.commit(event)
    assert "Kept Event" not in dash.get("/dashboard/").text
