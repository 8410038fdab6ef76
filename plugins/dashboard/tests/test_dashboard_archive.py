"""Archived events in the dashboard (issue 18): listed under a filter, archived from the
event page (records kept, read-only), restored by a platform admin only."""
import pytest
import sqlalchemy as sa

from makeplus_core.plugin_api import Event
from makeplus_dashboard.testing import csrf_token, login

# Written against the English wording (French is the default since issue 18).
pytestmark = pytest.mark.usefixtures("english")


def _archived_at(db, event):
    value = db.scalar(sa.select(Event.archived_at).where(Event.id == event.id))
    db.commit()
    return value


def table(resp) -> str:
    """The events table of the list page (the header's event switcher lists current events)."""
    text = resp.text
    return text[text.index('id="events"'):text.index("</table>", text.index('id="events"'))]


def test_archive_filter_and_restore_by_an_admin(dash, f, db):
    admin = f.user(is_admin=True)
    event = f.event(name="Salon Archivé")
    f.event(name="Salon Courant")
    login(dash, admin.email)
    page = dash.get(f"/dashboard/events/{event.id}/")
    form = [fm for fm in page.forms.values() if fm.action.endswith("/archive/")][0]
    r = form.submit(status=302)
    assert r.location.endswith("/dashboard/?archived=1")
    assert "archived" in r.follow().text  # the flash message
    assert _archived_at(db, event) is not None
    listed = table(dash.get("/dashboard/"))
    assert "Salon Archivé" not in listed and "Salon Courant" in listed
    archived = dash.get("/dashboard/?archived=1")
    assert "Salon Archivé" in table(archived) and "Salon Courant" not in table(archived)
    assert "Archived events" in archived.text
    edit = dash.get(f"/dashboard/events/{event.id}/edit/")
    assert "archived (read-only)" in dash.get(f"/dashboard/events/{event.id}/").text
    restore = [fm for fm in archived.forms.values() if fm.action.endswith("/restore/")][0]
    r = restore.submit(status=302)
    assert r.location.endswith(f"/dashboard/events/{event.id}/")
    assert "restored" in r.follow().text
    assert _archived_at(db, event) is None
    assert "Salon Archivé" in table(dash.get("/dashboard/"))
    assert "Salon Archivé" not in table(dash.get("/dashboard/?archived=1"))
    # Restoring an event that is not archived: a 409 page, not a 500.
    token = csrf_token(edit)
    dash.post(f"/dashboard/events/{event.id}/restore/", {"csrf_token": token}, status=409)


def test_a_gestionnaire_archives_but_does_not_restore(dash, f, db):
    event = f.event(name="Gestion Fest")
    other = f.event(name="Not Mine")
    gest = f.member(event, "gestionnaire_des_salles")
    login(dash, gest.email)
    page = dash.get(f"/dashboard/events/{event.id}/")
    [fm for fm in page.forms.values() if fm.action.endswith("/archive/")][0].submit(status=302).follow()
    archived = dash.get("/dashboard/?archived=1")
    assert "Gestion Fest" in table(archived)
    assert not [fm for fm in archived.forms.values() if fm.action.endswith("/restore/")]
    token = csrf_token(archived)
    dash.post(f"/dashboard/events/{event.id}/restore/", {"csrf_token": token}, status=403)
    assert _archived_at(db, event) is not None
    # Another event's archive/restore: 404.
    dash.post(f"/dashboard/events/{other.id}/archive/", {"csrf_token": token}, status=404)
    assert _archived_at(db, other) is None
