"""The organiser's day, in French, in real headless Chromium at 1280 px and 375 px (issue 18,
Acceptance): a French organiser (the browser sends fr-FR, the fixture's default) logs in,
uploads a logo and a programme in the wizard, imports a 200-row XLSX (dry run, then for real),
switches the Q&A module off for one event (the app's Q&A endpoint answers 404 for that event
only) and exports the participants. Every click and fill goes through the French labels; each
page is checked for French text, and the French number and date formats (Babel's ``fr``:
``1 200`` grouped with a narrow no-break space, ``20 sept. 2026``).

The English twin (same scenario, ``page_locale("en-US")``) is test_browser_organiser.py."""
import io
import re

import openpyxl
import pytest
import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import Event, Participant

NNBSP = "\u202f"  # Babel's fr grouping separator (narrow no-break space)
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


def field(page, label):
    """The form control labelled ``label`` (a required field's label ends with " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def french_page(page):
    assert page.evaluate("document.documentElement.lang") == "fr"


def test_organisatrice_assistant_import_modules_export(app, f, db, page, tmp_path):
    if "qa" not in app.app.registry.settings.get("makeplus.plugins", ""):
        pytest.skip("the qa plugin is not enabled")
    f.user(email="organisatrice@makeplus.test", is_admin=True)
    other = f.event(name="Autre salon")

    # Login, by the French labels.
    page.goto("/dashboard/login/")
    page.wait_for_selector("h1:has-text('Se connecter')")
    french_page(page)
    field(page, "E-mail").fill("organisatrice@makeplus.test")
    field(page, "Mot de passe").fill("makeplus2025")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("h1:has-text('Événements')")

    # Wizard with a logo and a programme (checked by content).
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "programme.pdf").write_bytes(PDF)
    page.get_by_role("link", name="Nouvel événement").click()
    page.wait_for_selector("h1:has-text('Nouvel événement')")
    french_page(page)
    name = f"Salon {page.viewport_label}"
    field(page, "Nom").fill(name)
    field(page, "Début (UTC)").fill("2026-09-20T08:00")
    field(page, "Fin (UTC)").fill("2026-09-22T18:00")
    field(page, "Logo (PNG ou JPEG)").set_input_files(str(tmp_path / "logo.png"))
    field(page, "Programme (PDF)").set_input_files(str(tmp_path / "programme.pdf"))
    page.shot("01-assistant-fichiers")
    page.get_by_role("button", name="Créer et continuer → salles").click()
    page.wait_for_selector("button:has-text('Ajouter cette salle')")
    french_page(page)
    assert f"Événement « {name} » créé. Ajoutez maintenant ses salles." in page.inner_text("body")
    event = db.scalar(sa.select(Event).where(Event.name == name))
    assert event.logo and event.logo.endswith(".png") and event.programme_file.endswith(".pdf")
    db.commit()
    # A room big enough for French digit grouping on the event page.
    field(page, "Nom de la salle").fill("Amphi Nord")
    field(page, "Capacité").fill("1200")
    page.get_by_role("button", name="Ajouter cette salle").click()
    page.wait_for_selector("li:has-text('Amphi Nord')")
    page.shot("02-assistant-salles")

    # Import a 200-row XLSX: dry run, then for real.
    (tmp_path / "inscrits.xlsx").write_bytes(workbook())
    page.goto(f"/dashboard/events/{event.id}/participants/import/")
    page.wait_for_selector("h1:has-text('Importer des participants')")
    french_page(page)
    assert "1. Tableur" in page.inner_text("main")
    field(page, "Fichier").set_input_files(str(tmp_path / "inscrits.xlsx"))
    page.get_by_role("button", name="Vérifier (essai à blanc)").click()
    page.wait_for_selector("#report")
    report = page.inner_text("#report")
    assert "3. Rapport" in report and "essai à blanc : rien n'est encore enregistré" in report
    assert page.inner_text("#count-created").strip() == "200 créé(s)"
    assert page.inner_text("#count-errors").strip() == "0 erreur(s)"
    assert "2. Colonnes" in page.inner_text("#mapping-form")
    assert field(page, "Courriel").input_value() == "email"  # the organiser's column, mapped
    page.shot("03-import-essai")
    count = lambda: (db.scalar(sa.select(sa.func.count()).select_from(Participant)  # noqa: E731
                               .where(Participant.event_id == event.id)), db.commit())[0]
    assert count() == 0
    page.get_by_role("button", name="Importer 200 lignes").click()
    page.wait_for_selector("text=Import terminé : 200 créés, 0 mis à jour, 0 inchangés.")
    french_page(page)
    assert count() == 200
    assert "200 résultats" in page.inner_text("main")  # the participants list it lands on
    page.shot("04-import-termine")

    # The events list and the event page: French dates and numbers.
    page.goto("/dashboard/")
    page.wait_for_selector("h1:has-text('Événements')")
    row = page.locator("#events tr", has_text=name).inner_text()
    assert "20 sept. 2026" in row and "22 sept. 2026" in row  # Babel fr, medium date
    page.goto(f"/dashboard/events/{event.id}/")
    page.wait_for_selector("h2:has-text('Occupation des salles')")
    main = page.inner_text("main")
    assert "20 sept. 2026 08:00 → 22 sept. 2026 18:00" in main and "total des participants" in main
    assert f"1{NNBSP}200" in page.locator("tr", has_text="Amphi Nord").first.inner_text()  # the capacity
    page.shot("05-evenement")

    # Switch Q&A off for this event only.
    page.goto(f"/dashboard/events/{event.id}/modules/")
    page.wait_for_selector("h1:has-text('Modules de cet événement')")
    french_page(page)
    qa_menu = page.get_by_role("link", name="Questions", exact=True)  # the Q&A module's menu entry
    assert qa_menu.count() == 1
    page.uncheck("#module-qa")
    page.locator("#modules-form").get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=Modules enregistrés")
    assert not page.locator("#module-qa").is_checked()
    assert qa_menu.count() == 0  # gone for this event
    page.shot("06-modules")
    gest = f.member(event, "gestionnaire_des_salles")
    gest_other = f.member(other, "gestionnaire_des_salles")
    api = webtest.TestApp(app.app)
    r = api.get("/api/session-questions/", headers=f.auth(gest, event), status=404)
    assert r.json["error"] == "module_disabled"
    api.get("/api/session-questions/", headers=f.auth(gest_other, other), status=200)

    # Export the participants (the API's xlsx writer), by the French link.
    page.goto(f"/dashboard/events/{event.id}/participants/import/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Exporter les participants (.xlsx)").click()
    assert info.value.suggested_filename == f"participants-{event.id}.xlsx"
    with open(info.value.path(), "rb") as fh:
        data = fh.read()
    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 201  # header + the 200 imported
    emails = {c for row in rows[1:] for c in row if isinstance(c, str) and "@" in c}
    assert {f"awa{i}@example.sn" for i in range(200)} <= emails
