"""The organiser's dashboard in real headless Chromium at 1280 px and 375 px (issue 18):
recent activity on the event page (with its links), the Exports page (participants and scan
journal downloaded), archiving an event, the archived filter and an admin's restore."""
import datetime as dt
import io

import openpyxl
import pytest
import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import Event, RoomAccess, utcnow

# Written against the English wording (French is the default since issue 18).
pytestmark = pytest.mark.page_locale("en-US")


def xlsx_rows(download) -> list:
    with open(download.path(), "rb") as fh:
        data = fh.read()
    return list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))


def test_activity_exports_archive_and_restore(app, f, db, page):
    admin = f.user(email="admin-browser@makeplus.test", is_admin=True, first_name="Amel", last_name="Admin")
    event = f.event(name=f"Forum {page.viewport_label}")
    room = f.room(event, name="Salle Tassili")
    walker = f.member(event, "participant", first_name="Karim", last_name="Scanned",
                      email=f"karim-{page.viewport_label}@example.dz")
    f.commit(RoomAccess(event_id=event.id, room_id=room.id, user_id=walker.id, verified_by_id=admin.id,
                        access_time=utcnow() - dt.timedelta(minutes=2), status="granted", layer="core",
                        reason="granted", http_status=200))
    api = webtest.TestApp(app.app)
    api.post_json("/api/participants/", {"email": f"lina-{page.viewport_label}@example.dz", "first_name": "Lina",
                                         "last_name": "Registered"}, headers=f.auth(admin, event), status=201)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    page.goto("/dashboard/login/")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", "makeplus2025")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Events')")

    # Recent activity: the door check-in and the registration, each a link.
    page.goto(f"/dashboard/events/{event.id}/")
    panel = page.locator("#recent-activity")
    assert panel.is_visible()
    assert "Karim Scanned · Salle Tassili" in panel.inner_text()
    assert "Lina Registered" in panel.inner_text()
    page.shot("01-recent-activity")
    panel.locator("a:has-text('Karim Scanned')").click()
    page.wait_for_selector("h1:has-text('Karim')")
    assert page.url.endswith(f"/users/{walker.id}/")

    # Exports page: participants and the scan journal, as the API writes them.
    page.goto(f"/dashboard/events/{event.id}/exports/")
    page.shot("02-exports")
    with page.expect_download() as info:
        page.click("#export-participants")
    emails = {c for row in xlsx_rows(info.value)[1:] for c in row if isinstance(c, str) and "@" in c}
    assert {walker.email, f"lina-{page.viewport_label}@example.dz"} <= emails
    with page.expect_download() as info:
        page.click("#export-scans")
    rows = xlsx_rows(info.value)
    assert rows[0][0] == "Time (UTC)" and rows[1][1] == "granted" and rows[1][3] == "Salle Tassili"

    # Archive from the event page: it leaves the list and appears under the filter.
    page.goto(f"/dashboard/events/{event.id}/")
    page.click("button:has-text('Archive')")
    page.wait_for_selector("h1:has-text('Archived events')")
    assert page.locator("#events").inner_text().count(event.name) == 1
    page.shot("03-archived-filter")
    archived = db.scalar(sa.select(Event.archived_at).where(Event.id == event.id))
    db.commit()
    assert archived is not None
    page.click("#archive-filter a")
    page.wait_for_selector("h1:has-text('Events')")
    assert event.name not in page.locator("#events").inner_text()

    # Restore (a platform admin): back in the list, writable again.
    page.click("#archive-filter a")
    page.wait_for_selector("h1:has-text('Archived events')")
    page.click("#events button.restore")
    page.wait_for_selector("text=restored")
    assert "archived (read-only)" not in page.content()
    page.shot("04-restored")
    restored = db.scalar(sa.select(Event.archived_at).where(Event.id == event.id))
    db.commit()
    assert restored is None
