"""The dashboard in real headless Chromium, at desktop and phone (375 px) widths.

An admin logs in, creates an event with the wizard, adds a room and a session,
creates a user and downloads the badge QR; screenshots at each step (./screenshots/).
"""
import pytest
import sqlalchemy as sa

from makeplus_core.plugin_api import Event

# Written against the English wording (the browser fixture speaks French by default: tests/test_i18n_browser.py).
pytestmark = pytest.mark.page_locale("en-US")


def test_admin_wizard_room_session_user_qr(app, f, db, page):
    f.user(email="admin@makeplus.test", is_admin=True)
    page.goto("/dashboard/")
    page.wait_for_selector("input[name=email]")
    page.shot("01-login")
    page.fill("input[name=email]", "admin@makeplus.test")
    page.fill("input[name=password]", "makeplus2025")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Events')")
    page.shot("02-events")

    page.click("text=New event")
    page.fill("#f-name", f"Salon {page.viewport_label}")
    page.fill("#f-start_date", "2026-09-20T08:00")
    page.fill("#f-end_date", "2026-09-22T18:00")
    page.fill("#f-location", "Alger")
    page.shot("03-wizard-details")
    page.click("button:has-text('Create and continue')")
    page.wait_for_selector("text=Add this room")
    event_id = db.scalar(sa.select(Event.id).where(Event.name == f"Salon {page.viewport_label}"))
    assert event_id is not None

    page.fill("#f-name", "Amphi A")
    page.fill("#f-capacity", "80")
    page.click("button:has-text('Add this room')")
    page.wait_for_selector("ul.chips >> text=Amphi A")
    page.shot("04-wizard-rooms")
    page.click("text=Continue → sessions")

    page.fill("#f-title", "Ouverture")
    page.select_option("#f-room", label="Amphi A")
    page.fill("#f-start_time", "2026-09-20T09:00")
    page.fill("#f-end_time", "2026-09-20T10:00")
    page.click("button:has-text('Add this session')")
    page.wait_for_selector("ul.chips >> text=Ouverture")
    # An overlapping session: the 409 message is shown next to the form, input kept.
    page.fill("#f-title", "Clash")
    page.select_option("#f-room", label="Amphi A")
    page.fill("#f-start_time", "2026-09-20T09:30")
    page.fill("#f-end_time", "2026-09-20T10:30")
    page.click("button:has-text('Add this session')")
    page.wait_for_selector("#err-start_time")
    assert "already booked" in page.inner_text("#err-start_time")
    assert page.input_value("#f-title") == "Clash"
    page.shot("05-wizard-sessions-conflict")
    page.click("text=Continue → staff")
    page.wait_for_selector("text=Add to the staff")
    page.click("text=Finish")
    page.wait_for_selector("#metrics")
    page.shot("06-event")

    # A room and a session from the regular pages.
    page.goto(f"/dashboard/events/{event_id}/rooms/")
    page.fill("#f-name", "Salle B")
    page.fill("#f-capacity", "30")
    page.click("button:has-text('Add the room')")
    page.wait_for_selector("h1:has-text('Salle B')")
    page.shot("07-room")
    page.click("text=Schedule a session here")
    page.fill("#f-title", "Atelier impression 3D")
    page.fill("#f-start_time", "2026-09-20T14:00")
    page.fill("#f-end_time", "2026-09-20T16:00")
    page.select_option("#f-session_type", "atelier")
    page.check("#f-is_paid")
    page.fill("#f-price", "2500")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#sessions >> text=Atelier impression 3D")
    page.shot("08-sessions")

    # A user with a badge, QR shown and downloaded.
    page.goto(f"/dashboard/events/{event_id}/users/")
    page.fill("#f-email", f"yasmine.{page.viewport_label}@example.org")
    page.fill("#f-first_name", "Yasmine")
    page.fill("#f-last_name", "Benali")
    page.click("button:has-text('Create')")
    page.wait_for_selector("#qr svg")
    page.shot("09-user-qr")
    with page.expect_download() as info:
        page.click("#qr-png")
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with page.expect_download() as info:
        page.click("#qr-svg")
    assert b"<svg" in open(info.value.path(), "rb").read()
    # Nothing wider than the viewport (phone layout works).
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1
