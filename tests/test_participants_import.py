"""Bulk import of participants (issue 18): CSV and XLSX, column mapping, the dry run is
exactly what the real run does, errors name the row and the field, no partial import."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from makeplus_core.access.models import SessionAccess
from makeplus_core.participants.models import Participant

GEST = "gestionnaire_des_salles"
URL = "/api/participants/import/"


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, sep=";") -> bytes:
    return "\n".join(sep.join(str(c) for c in row) for row in rows).encode("utf-8")


@pytest.fixture
def w(app, f):
    class W:
        pass

    x = W()
    x.event = f.event(name="Import Fest")
    x.other = f.event(name="Other Fest")
    x.hall = f.room(x.event, name="Grand Hall")
    x.atelier = f.session(x.event, x.hall, title="Atelier Python", is_paid=True, price="5000.00")
    x.gest = f.member(x.event, GEST)
    x.h = f.auth(x.gest, x.event)
    return x


def post(app, w, data, name="people.xlsx", dry_run=True, mapping=None, status=200, headers=None):
    fields = [("dry_run", "true" if dry_run else "false")]
    if mapping is not None:
        fields.append(("mapping", json.dumps(mapping)))
    return app.post(URL, fields, upload_files=[("file", name, data)], headers=headers or w.h, status=status)


def participants(db, event):
    n = db.scalar(sa.select(sa.func.count()).select_from(Participant).where(Participant.event_id == event.id))
    db.commit()
    return n


ROWS = [["Prénom", "Nom", "Courriel", "Téléphone", "Société", "Badge", "Salles", "Ateliers"]] + [
    [f"First{i}", f"Last{i}", f"person{i}@example.org", f"+22170000{i:04d}", "ACME", f"B-{i:03d}",
     "Grand Hall" if i % 2 else "", "Atelier Python" if i % 5 == 0 else ""] for i in range(1, 201)]


def test_dry_run_writes_nothing_and_the_real_run_does_exactly_what_it_reported(app, f, db, w):
    outbox = app.app.registry.makeplus.mailer.outbox
    data = xlsx(ROWS)
    before_mails = len(outbox)
    dry = post(app, w, data).json
    assert dry["dry_run"] is True and dry["total"] == 200 and dry["created"] == 200 and dry["errors"] == 0
    assert participants(db, w.event) == 0
    assert len(outbox) == before_mails
    real = post(app, w, data, dry_run=False).json
    assert {**real, "dry_run": True} == dry
    assert participants(db, w.event) == 200
    assert len(outbox) - before_mails == 200  # each new account got its invitation
    p = db.scalar(sa.select(Participant).where(Participant.badge_number == "B-005"))
    assert p.organization == "ACME" and p.phone == "+221700000005"
    paid = db.scalar(sa.select(sa.func.count()).select_from(SessionAccess)
                     .where(SessionAccess.session_id == w.atelier.id, SessionAccess.payment_status == "paid"))
    assert paid == 40
    db.commit()
    # The same file again: nothing to do. One changed row: updated, named fields.
    again = post(app, w, data).json
    assert again["unchanged"] == 200 and again["created"] == 0
    changed = [r[:] for r in ROWS]
    changed[3][4] = "Globex"
    report = post(app, w, xlsx(changed), dry_run=False).json
    assert report["updated"] == 1 and report["unchanged"] == 199
    assert [r for r in report["rows"] if r["action"] == "updated"] == [
        {"row": 4, "email": "person3@example.org", "action": "updated", "changes": ["organization"]}]


def test_errors_name_row_and_field_and_nothing_is_imported(app, f, db, w):
    rows = [["email", "first name", "rooms", "role", "badge"],
            ["ok1@example.org", "A", "Grand Hall", "participant", "X1"],
            ["not-an-email", "B", "", "", ""],
            ["ok2@example.org", "C", "Nowhere", "", ""],
            ["ok3@example.org", "D", "", "chef", ""],
            ["ok1@example.org", "E", "", "", ""],
            ["ok4@example.org", "F", "", "", "X1"]]
    dry = post(app, w, csv_bytes(rows), name="people.csv").json
    errors = [(r["row"], r["field"]) for r in dry["rows"] if r["action"] == "error"]
    assert errors == [(3, "email"), (4, "allowed_rooms"), (5, "role"), (6, "email"), (7, "badge_number")]
    assert dry["created"] == 1 and dry["errors"] == 5
    assert "Nowhere" in dry["rows"][2]["reason"]
    r = post(app, w, csv_bytes(rows), name="people.csv", dry_run=False, status=400).json
    assert r["error"] == "import_invalid" and r["row"] == 3 and r["field"] == "email"
    assert r["report"]["rows"] == dry["rows"]
    assert participants(db, w.event) == 0  # not even the valid first row


def test_mapping_of_the_organisers_columns(app, f, db, w):
    rows = [["Adresse pro", "Prénom usuel", "Entreprise ou structure"],
            ["mapped@example.org", "Awa", "Sonatel"]]
    r = post(app, w, csv_bytes(rows, ","), name="p.csv", status=400).json
    assert r["field"] == "mapping"  # no e-mail column recognised
    mapping = {"Adresse pro": "email", "Prénom usuel": "first_name", "Entreprise ou structure": "organization"}
    r = post(app, w, csv_bytes(rows, ","), name="p.csv", dry_run=False, mapping=mapping).json
    assert r["created"] == 1
    p = db.scalar(sa.select(Participant).where(Participant.event_id == w.event.id))
    assert p.organization == "Sonatel"
    db.commit()
    bad = post(app, w, csv_bytes(rows, ","), name="p.csv", mapping={"Adresse pro": "salary"}, status=400).json
    assert bad["field"] == "mapping.Adresse pro"
    bad = post(app, w, csv_bytes(rows, ","), name="p.csv", mapping={"Nope": "email"}, status=400).json
    assert bad["field"] == "mapping.Nope"


def test_bad_files_and_roles(app, f, db, w):
    r = post(app, w, b"\xff\xfe\x00garbage", name="x.csv", status=400).json
    assert r["field"] == "file"
    r = post(app, w, b"PK\x03\x04 not really a workbook", name="x.xlsx", status=400).json
    assert r["field"] == "file"
    r = post(app, w, csv_bytes([["email"]]), name="x.csv", status=400).json
    assert r["field"] == "file"
    app.post(URL, {"dry_run": "maybe"}, upload_files=[("file", "x.csv", csv_bytes(ROWS[:2]))], headers=w.h,
             status=400)
    app.post(URL, {"dry_run": "true"}, headers=w.h, status=400)
    part = f.member(w.event, "participant")
    post(app, w, csv_bytes(ROWS[:2]), headers=f.auth(part, w.event), status=403)
    # Another event's gestionnaire naming this event: 404.
    other = f.member(w.other, GEST)
    app.post(URL + f"?event={w.event.id}", {"dry_run": "true"},
             upload_files=[("file", "x.csv", csv_bytes(ROWS[:2]))], headers=f.auth(other, w.other), status=404)


def test_existing_staff_of_the_event_is_an_error_row(app, f, db, w):
    ctrl = f.member(w.event, "controlleur_des_badges")
    rows = [["email"], [ctrl.email]]
    r = post(app, w, csv_bytes(rows), name="x.csv").json
    assert r["rows"][0]["action"] == "error" and r["rows"][0]["field"] == "email"


def test_cli_dry_run_then_real_run(app, f, db, w, capsys):
    from pyramid.scripting import prepare

    from makeplus_core import errors
    from makeplus_core.scripts.importer import run

    data = xlsx(ROWS[:21])

    def cli(dry_run, payload=data):
        env = prepare(registry=app.app.registry)
        try:
            with env["request"].tm:
                return run(env["request"], str(w.event.id), payload, dry_run, None, progress=False)
        finally:
            env["closer"]()

    dry = cli(True)
    assert dry["created"] == 20 and participants(db, w.event) == 0
    assert "20 created" in capsys.readouterr().out
    real = cli(False)
    assert {**real, "dry_run": True} == dry and participants(db, w.event) == 20
    bad = ROWS[:3] + [["X", "Y", "broken", "", "", "", "", ""]]
    with pytest.raises(errors.Invalid):
        cli(False, xlsx(bad))
    assert "row 4: email" in capsys.readouterr().out
    assert participants(db, w.event) == 20


def _people(prefix, n):
    return [["email", "first name", "rooms", "ateliers"]] + [
        [f"{prefix}{i}@example.org", f"P{i}", "Grand Hall" if i % 2 else "", "Atelier Python" if i % 3 == 0 else ""]
        for i in range(n)]


def test_the_real_run_is_batched_its_statements_do_not_grow_with_the_rows(app, f, db, w, count_queries):
    """Accounts, invitation codes, assignments, participants, rooms, paid ateliers and audit
    rows are inserted a batch at a time: 60 new people cost the statements of 6."""
    counts = []
    for prefix, n in (("small", 6), ("large", 60)):
        data = csv_bytes(_people(prefix, n), ",")
        with count_queries() as q:
            r = post(app, w, data, name="p.csv", dry_run=False).json
        assert r["created"] == n and r["errors"] == 0
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert counts[1] < 40  # one by one, it was ~17 per person
    db.commit()
    audit = db.execute(sa.text("SELECT object_type, count(*) FROM audit_log WHERE event_id = :e "
                               "GROUP BY object_type"), {"e": w.event.id.hex if db.bind.dialect.name == "sqlite"
                                                         else w.event.id}).all()
    db.commit()
    by_type = dict(audit)
    assert by_type.get("participants") == 66 and by_type.get("user_event_assignments") == 66
    assert by_type.get("session_access") == 2 + 20


def test_bulk_enrolment_keeps_the_invitation_rules(app, f, db, w):
    """New address: an account without password and an invitation; a known unverified
    address: the account is reclaimed (its password no longer works) and invited; a verified
    one: enrolled and told, no invitation (docs/security.md "Accounts and enrolment")."""
    import datetime as dt

    from makeplus_core.testing import PASSWORD

    squatter = f.user(email="claimed@example.org", email_verified_at=None)
    verified = f.user(email="known@example.org", email_verified_at=dt.datetime.now(dt.UTC))
    app.post_json("/api/auth/login/", {"email": squatter.email, "password": PASSWORD}, status=200)
    outbox = app.app.registry.makeplus.mailer.outbox
    before = len(outbox)
    rows = [["email", "first name"], ["brand-new@example.org", "Neo"], [squatter.email, "X"],
            [verified.email, "Y"]]
    r = post(app, w, csv_bytes(rows), name="p.csv", dry_run=False).json
    assert r["created"] == 3
    mails = {m.recipients[0]: m for m in outbox[before:]}
    assert set(mails) == {"brand-new@example.org", squatter.email, verified.email}
    # the mails are French by default (issue 18)
    assert "invité" in mails["brand-new@example.org"].subject and "invité" in mails[squatter.email].subject
    assert "ajouté(e) à" in mails[verified.email].subject and "token=" not in mails[verified.email].body
    app.post_json("/api/auth/login/", {"email": squatter.email, "password": PASSWORD}, status=401)
    app.post_json("/api/auth/login/", {"email": verified.email, "password": PASSWORD}, status=200)
    # The new account's link sets its password (and only once).
    code = mails["brand-new@example.org"].body.split("token=")[1].split()[0]
    app.post_json("/api/auth/invitation/accept/", {"token": code, "password": "a-long-new-password-1"},
                  status=200)
    app.post_json("/api/auth/invitation/accept/", {"token": code, "password": "a-long-new-password-1"},
                  status=400)
    app.post_json("/api/auth/login/", {"email": "brand-new@example.org", "password": "a-long-new-password-1"},
                  status=200)
