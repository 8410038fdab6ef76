"""The organiser's day in real headless Chromium at 1280 px and 375 px (issue 18): the
wizard with a logo and a programme, a 200-row XLSX import (dry run, then for real), the Q&A
module switched off for one event (the app's Q&A endpoint answers 404 for it only), the
participants export. (French-text assertions belong to the i18n branch.)"""
import io

import openpyxl
import pytest
import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import Event, Participant

# Written against the English wording (the browser fixture speaks French by default: tests/test_i18n_browser.py).
pytestmark = pytest.mark.page_locale("en-US")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def workbook(n=200) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Prénom", "Nom", "Courriel", "Société"])
    for i in range(n):
        ws.append([f"Awa{i}", f"Diop{i}", f"awa{i}@example.sn", "Sonatel"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_organiser_wizard_import_modules_export(app, f, db, page, tmp_path):
    if "qa" not in app.app.registry.settings.get("makeplus.plugins", ""):
        pytest.skip("the qa plugin is not enabled")
    f.user(email="orga@makeplus.test", is_admin=True)
    other = f.event(name="Autre salon")
    page.goto("/dashboard/login/")
    page.fill("input[name=email]", "orga@makeplus.test")
    page.fill("input[name=password]", "makeplus2025")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Events')")

    # Wizard with a logo and a programme, checked by content.
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "programme.pdf").write_bytes(PDF)
    page.click("text=New event")
    name = f"Salon {page.viewport_label}"
    page.fill("#f-name", name)
    page.fill("#f-start_date", "2026-09-20T08:00")
    page.fill("#f-end_date", "2026-09-22T18:00")
    page.set_input_files("#f-logo", str(tmp_path / "logo.png"))
    page.set_input_files("#f-programme_file", str(tmp_path / "programme.pdf"))
    page.shot("01-wizard-files")
    page.click("button:has-text('Create and continue')")
    page.wait_for_selector("text=Add this room")
    event = db.scalar(sa.select(Event).where(Event.name == name))
    assert event.logo and event.logo.endswith(".png") and event.programme_file.endswith(".pdf")
    db.commit()

    # Import a 200-row XLSX: dry run, then for real.
    (tmp_path / "inscrits.xlsx").write_bytes(workbook())
    page.goto(f"/dashboard/events/{event.id}/participants/import/")
    page.set_input_files("#f-file", str(tmp_path / "inscrits.xlsx"))
    page.click("#check")
    page.wait_for_selector("#report")
    assert "200 created" in page.inner_text("#count-created")
    assert page.locator("#map-2").input_value() == "email"
    page.shot("02-import-dry-run")
    count = lambda: (db.scalar(sa.select(sa.func.count()).select_from(Participant)  # noqa: E731
                               .where(Participant.event_id == event.id)), db.commit())[0]
    assert count() == 0
    page.click("#confirm")
    page.wait_for_selector("text=Import done")
    assert count() == 200
    page.shot("03-import-done")

    # Switch Q&A off for this event only.
    page.goto(f"/dashboard/events/{event.id}/modules/")
    page.uncheck("#module-qa")
    page.click("#modules-form button[type=submit]")
    page.wait_for_selector("text=Modules saved")
    assert not page.locator("#module-qa").is_checked()
    page.shot("04-modules")
    gest = f.member(event, "gestionnaire_des_salles")
    gest_other = f.member(other, "gestionnaire_des_salles")
    api = webtest.TestApp(app.app)
    r = api.get("/api/session-questions/", headers=f.auth(gest, event), status=404)
    assert r.json["error"] == "module_disabled"
    api.get("/api/session-questions/", headers=f.auth(gest_other, other), status=200)

    # Export the participants (the API's xlsx writer).
    page.goto(f"/dashboard/events/{event.id}/participants/import/")
    with page.expect_download() as info:
        page.click("#export-participants")
    assert info.value.suggested_filename == f"participants-{event.id}.xlsx"
    with open(info.value.path(), "rb") as fh:
        data = fh.read()
    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 201  # header + the 200 imported
    emails = {c for row in rows[1:] for c in row if isinstance(c, str) and "@" in c}
    assert {f"awa{i}@example.sn" for i in range(200)} <= emails
