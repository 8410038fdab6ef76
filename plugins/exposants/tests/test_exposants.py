"""The exposants plugin through the HTTP API: lead scans, my_scans, re-scans, export, plans, hooks."""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import json
import threading
import uuid

import openpyxl
import pytest
import sqlalchemy as sa
import webtest

from makeplus_core.plugin_api import utcnow
from makeplus_exposants.models import ExposantScan, ExposantVisit

URL = "/api/exposant-scans/"
SCAN = "/api/exposant-scans/scan_participant/"
GEST, CTRL, PART, EXPO = "gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id, "email": user.email})


class World:
    def __init__(self, f):
        self.f = f
        self.event = f.event()
        self.gest = f.member(self.event, GEST)
        self.ctrl = f.member(self.event, CTRL)
        self.part = f.member(self.event, PART, first_name="Ahmed", last_name="Benali", organization="Sonatrach",
                             job_title="CTO", phone="+213 555 000")
        self.part2 = f.member(self.event, PART, first_name="Sara", last_name="Meziane")
        self.expo = f.member(self.event, EXPO, first_name="Yasmine", last_name="Stand", organization="Acme")
        self.expo2 = f.member(self.event, EXPO, first_name="Karim", last_name="Booth", organization="Globex")
        self.foreign = f.event()
        self.foreign_expo = f.member(self.foreign, EXPO)
        self.foreign_part = f.member(self.foreign, PART)

    def pid(self, user, event=None):
        p = self.f.participant_of(user, event or self.event)
        self.f.db.commit()
        return str(p.id)

    def h(self, user, event=None, **extra):
        return {**self.f.auth(user, event or self.event), **extra}

    def scan(self, app, visitor, by=None, notes=None, status=None, headers=None, **body):
        payload = {"qr_data": qr(visitor), "event_id": str(self.event.id), "notes": notes, **body}
        return app.post_json(SCAN, payload, headers=headers or self.h(by or self.expo),
                             status=status or "*")


@pytest.fixture
def w(f):
    return World(f)


def count(db, model=ExposantScan):
    n = db.scalar(sa.select(sa.func.count()).select_from(model))
    db.commit()
    return n


# --------------------------------------------------------------------------- create


def test_scan_participant_returns_scan_with_visitor_details(app, w):
    r = w.scan(app, w.part, notes="Intéressé par le produit X", status=201)
    body = r.json
    assert body["scan"]["id"] == body["id"]
    for scan in (body, body["scan"]):
        assert scan["exposant"] == w.pid(w.expo)
        assert scan["event"] == str(w.event.id)
        assert scan["scanned_participant"]["id"] == w.pid(w.part)
        assert scan["scanned_participant"]["email"] == w.part.email
        assert scan["scanned_participant"]["organization"] == "Sonatrach"
        assert scan["scanned_participant"]["job_title"] == "CTO"
        assert scan["scanned_participant_email"] == scan["participant_email"] == w.part.email
        assert scan["scanned_participant_name"] == "Ahmed Benali"
        assert scan["notes"] == "Intéressé par le produit X"
        assert scan["visit_count"] == 1
        assert scan["scanned_at"].endswith("Z") and scan["last_scanned_at"].endswith("Z")
        assert "badge_id" not in scan["scanned_participant"]  # an exhibitor must not be able to forge a badge
    assert body["outcome"] == "new_lead"


def test_all_badge_formats_and_participant_id(app, w):
    keyring = app.app.registry.makeplus.badge_keyring
    w.scan(app, w.part, status=201, qr_data=keyring.sign(w.part.id, w.part.badge_id))
    w.scan(app, w.part2, status=201, qr_data=str(w.part2.id))  # plain id (accepted in the test settings)
    r = app.post_json(URL, {"scanned_participant": w.pid(w.part), "notes": "via id"}, headers=w.h(w.expo2),
                      status=201)
    assert r.json["exposant"] == w.pid(w.expo2) and r.json["notes"] == "via id"
    assert count(w.f.db) == 3


def test_forged_revoked_and_garbage_badges_write_nothing(app, w, f):
    keyring = app.app.registry.makeplus.badge_keyring
    good = keyring.sign(w.part.id, w.part.badge_id)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert w.scan(app, w.part, qr_data=forged).status_int == 400
    assert w.scan(app, w.part, qr_data=json.dumps({"user_id": w.part.id, "badge_id": "USER-x-forged"})
                  ).status_int == 404
    for garbage in ("hello", "", "{}", "MP1.zz.e30.AAAA", "[1]"):
        r = w.scan(app, w.part, qr_data=garbage)
        assert 400 <= r.status_int < 500, (garbage, r.status_int)
    # revoked: the holder re-issues their badge, the old QR is refused
    old_json, old_signed = qr(w.part), good
    app.post(f"/api/users/{w.part.id}/badge/reissue/", headers=w.h(w.part), status=200)
    for old in (old_json, old_signed):
        r = w.scan(app, w.part, qr_data=old)
        assert r.status_int == 404 and r.json["reason"] == "unknown_badge"
    assert count(w.f.db) == 0 and count(w.f.db, ExposantVisit) == 0


def test_who_may_create(app, w):
    for user in (w.part, w.ctrl, w.gest):
        assert w.scan(app, w.part2, by=user).status_int == 403
        app.post_json(URL, {"scanned_participant": w.pid(w.part2)}, headers=w.h(user), status=403)
    # an exposant of another event: naming this event is a 404, scanning our visitor from theirs a 403
    fh = w.h(w.foreign_expo, w.foreign)
    assert w.scan(app, w.part, headers=fh).status_int == 404
    r = app.post_json(SCAN, {"qr_data": qr(w.part), "event_id": str(w.foreign.id)}, headers=fh, status=403)
    assert r.json["reason"] == "no_event_access"
    app.post_json(URL, {"scanned_participant": w.pid(w.part)}, headers=fh, status=404)
    # self-scan and staff badges are refused; validation names the field
    assert w.scan(app, w.expo).status_int == 400
    assert w.scan(app, w.ctrl).json["field"] == "qr_data"
    assert app.post_json(URL, {}, headers=w.h(w.expo), status=400).json["field"] == "qr_data"
    assert w.scan(app, w.part, notes="x" * 4001, status=400).json["field"] == "notes"
    app.post_json(URL, {"scanned_participant": "not-an-id"}, headers=w.h(w.expo), status=400)
    app.post_json(URL, {"scanned_participant": str(uuid.uuid4())}, headers=w.h(w.expo), status=404)
    app.post_json(SCAN, {"qr_data": qr(w.part)}, status=401)
    assert count(w.f.db) == 0


# --------------------------------------------------------------------------- read


def test_read_permissions(app, w):
    mine = w.scan(app, w.part, status=201).json
    theirs = w.scan(app, w.part, by=w.expo2, status=201).json
    # an exposant sees only their own
    r = app.get(URL, headers=w.h(w.expo)).json
    assert [x["id"] for x in r["results"]] == [mine["id"]] and r["count"] == 1
    app.get(f"{URL}{theirs['id']}/", headers=w.h(w.expo), status=404)
    assert app.get(f"{URL}{mine['id']}/", headers=w.h(w.expo)).json["id"] == mine["id"]
    app.get(URL, {"exposant_id": w.pid(w.expo2)}, headers=w.h(w.expo), status=404)
    # a gestionnaire sees all, filters by exposant
    r = app.get(URL, headers=w.h(w.gest)).json
    assert {x["id"] for x in r["results"]} == {mine["id"], theirs["id"]}
    r = app.get(URL, {"exposant": w.pid(w.expo2)}, headers=w.h(w.gest)).json
    assert [x["id"] for x in r["results"]] == [theirs["id"]]
    app.get(f"{URL}{theirs['id']}/", headers=w.h(w.gest), status=200)
    # participants and controllers: 403; another event's exposant: 404
    for user in (w.part, w.ctrl):
        app.get(URL, headers=w.h(user), status=403)
        app.get(f"{URL}{mine['id']}/", headers=w.h(user), status=403)
        app.get(f"{URL}my_scans/", headers=w.h(user), status=403)
        app.get(f"{URL}export_excel/", headers=w.h(user), status=403)
    fh = w.h(w.foreign_expo, w.foreign)
    app.get(URL, {"event_id": str(w.event.id)}, headers=fh, status=404)
    app.get(f"{URL}my_scans/", {"event_id": str(w.event.id)}, headers=fh, status=404)
    app.get(f"{URL}{mine['id']}/", headers=fh, status=404)
    assert app.get(URL, headers=fh).json["count"] == 0
    app.get(f"{URL}my_scans/", headers=w.h(w.gest), status=403)


def test_search_filter(app, w):
    w.scan(app, w.part, notes="produit X", status=201)
    w.scan(app, w.part2, status=201)
    r = app.get(URL, {"search": "sonatrach"}, headers=w.h(w.expo)).json
    assert [x["scanned_participant_name"] for x in r["results"]] == ["Ahmed Benali"]
    r = app.get(URL, {"search": "meziane"}, headers=w.h(w.gest)).json
    assert [x["scanned_participant_name"] for x in r["results"]] == ["Sara Meziane"]
    assert app.get(URL, {"search": "produit"}, headers=w.h(w.expo)).json["count"] == 1


def test_patch_notes(app, w):
    s = w.scan(app, w.part, notes="first", status=201).json
    r = app.patch_json(f"{URL}{s['id']}/", {"notes": "Rappeler lundi"}, headers=w.h(w.expo)).json
    assert r["notes"] == "Rappeler lundi"
    assert app.patch_json(f"{URL}{s['id']}/", {"notes": "x" * 4001}, headers=w.h(w.expo),
                          status=400).json["field"] == "notes"
    assert app.patch_json(f"{URL}{s['id']}/", {}, headers=w.h(w.expo), status=400).json["field"] == "notes"
    app.patch_json(f"{URL}{s['id']}/", {"notes": "x"}, headers=w.h(w.expo2), status=404)
    app.patch_json(f"{URL}{s['id']}/", {"notes": "x"}, headers=w.h(w.gest), status=403)
    app.patch_json(f"{URL}{s['id']}/", {"notes": "x"}, headers=w.h(w.part), status=403)
    assert app.get(f"{URL}{s['id']}/", headers=w.h(w.expo)).json["notes"] == "Rappeler lundi"


# --------------------------------------------------------------------------- my_scans, re-scans


def _age(db, lead_id, delta):
    """Move a lead and its visits back in time."""
    lid = uuid.UUID(lead_id)
    lead = db.get(ExposantScan, lid)
    lead.scanned_at -= delta
    lead.last_scanned_at -= delta
    for v in db.scalars(sa.select(ExposantVisit).where(ExposantVisit.scan_id == lid)):
        v.visited_at -= delta
    db.commit()


def test_my_scans_today_and_earlier(app, w, f):
    today = w.scan(app, w.part, notes="aujourd'hui", status=201).json
    earlier = w.scan(app, w.part2, status=201).json
    _age(f.db, earlier["id"], dt.timedelta(days=2))
    r = app.get(f"{URL}my_scans/", {"event_id": str(w.event.id)}, headers=w.h(w.expo))
    body = r.json
    assert isinstance(body["total_visits"], int) and isinstance(body["today_visits"], int)
    assert body["total_visits"] == 2 and body["today_visits"] == 1
    assert [s["id"] for s in body["scans"]] == [today["id"], earlier["id"]]
    first = body["scans"][0]
    assert first["scanned_participant"]["email"] == w.part.email and first["notes"] == "aujourd'hui"
    assert first["scanned_at"].endswith("Z")
    # the earlier visitor comes back today (outside the window): a new visit, same lead
    again = w.scan(app, w.part2, notes="revenu", status=200).json
    assert again["id"] == earlier["id"] and again["visit_count"] == 2 and again["outcome"] == "new_visit"
    body = app.get(f"{URL}my_scans/", headers=w.h(w.expo)).json
    assert body["total_visits"] == 3 and body["today_visits"] == 2 and len(body["scans"]) == 2
    # another exposant has none
    assert app.get(f"{URL}my_scans/", headers=w.h(w.expo2)).json == {
        "total_visits": 0, "today_visits": 0, "unique_visitors": 0, "scans": []}


def test_today_uses_the_event_timezone(app, w, f):
    now = utcnow()
    # pick a timezone where local midnight fell less than 2 hours ago... or more: compute directly
    s = w.scan(app, w.part, status=201).json
    # move the visit to 1 minute after today's local midnight in Pacific/Kiritimati (UTC+14)
    import zoneinfo

    for tzname in ("Pacific/Kiritimati", "Etc/GMT+12"):
        tz = zoneinfo.ZoneInfo(tzname)
        local_midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        w.event.timezone = tzname
        f.db.merge(w.event)
        lead = f.db.get(ExposantScan, uuid.UUID(s["id"]))
        visit = f.db.scalar(sa.select(ExposantVisit).where(ExposantVisit.scan_id == lead.id))
        visit.visited_at = (local_midnight - dt.timedelta(minutes=1)).astimezone(dt.UTC)
        f.db.commit()
        body = app.get(f"{URL}my_scans/", headers=w.h(w.expo)).json
        assert (body["total_visits"], body["today_visits"]) == (1, 0), tzname
        visit = f.db.scalar(sa.select(ExposantVisit).where(ExposantVisit.scan_id == lead.id))
        visit.visited_at = (local_midnight + dt.timedelta(minutes=1)).astimezone(dt.UTC)
        f.db.commit()
        body = app.get(f"{URL}my_scans/", headers=w.h(w.expo)).json
        assert (body["total_visits"], body["today_visits"]) == (1, 1), tzname


def test_rescan_within_window_merges(app, w, f):
    first = w.scan(app, w.part, notes="premier contact", status=201).json
    again = w.scan(app, w.part, notes="veut une démo", status=200).json
    assert again["id"] == first["id"] and again["outcome"] == "merged" and again["counted"] is False
    assert again["visit_count"] == 1
    assert again["notes"] == "premier contact\nveut une démo"
    assert again["last_scanned_at"] >= first["last_scanned_at"]
    assert again["scanned_at"] == first["scanned_at"]
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 1
    body = app.get(f"{URL}my_scans/", headers=w.h(w.expo)).json
    assert body["total_visits"] == 1
    # outside the window (31 minutes later) it is a new visit of the same lead
    _age(f.db, first["id"], dt.timedelta(minutes=31))
    later = w.scan(app, w.part, status=200).json
    assert later["id"] == first["id"] and later["visit_count"] == 2 and later["outcome"] == "new_visit"
    assert later["notes"] == "premier contact\nveut une démo"
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 2


def test_window_is_configurable(make_app, app, w, f):
    zero = make_app(**{"makeplus.exposants.rescan_window_minutes": "0"})
    h = w.h(w.expo)
    body = {"qr_data": qr(w.part), "event_id": str(w.event.id)}
    zero.post_json(SCAN, body, headers=h, status=201)
    r = zero.post_json(SCAN, body, headers=h, status=200).json
    assert r["visit_count"] == 2 and r["outcome"] == "new_visit"


def test_idempotency_key_sequential(app, w, f):
    h = w.h(w.expo, **{"Idempotency-Key": "k-1"})
    a = app.post_json(SCAN, {"qr_data": qr(w.part), "notes": "une fois"}, headers=h, status=201)
    b = app.post_json(SCAN, {"qr_data": qr(w.part), "notes": "une fois"}, headers=h, status=201)
    assert a.json == b.json
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 1
    lead = f.db.get(ExposantScan, uuid.UUID(a.json["id"]))
    assert lead.notes == "une fois"
    f.db.commit()


def test_lead_scan_is_a_door_with_the_core_key_rules(app, w, f):
    """The lead scan goes through the core's door entry point: a 150-character key (the
    one limit is 200) is replayed once, status and body identical; 201 characters: 400."""
    h = w.h(w.expo, **{"Idempotency-Key": "k" * 150})
    body = {"qr_data": qr(w.part), "notes": "longue clé"}
    a = app.post_json(SCAN, body, headers=h, status=201)
    b = app.post_json(SCAN, body, headers=h, status=201)
    assert a.json == b.json and b.headers["Idempotent-Replayed"] == "true"
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 1
    r = app.post_json(SCAN, body, headers=w.h(w.expo, **{"Idempotency-Key": "k" * 201}), status=400)
    assert r.json["field"] == "Idempotency-Key"
    assert app.post_json(SCAN, {**body, "notes": "autre"}, headers=h, status=422).json["error"] == \
        "idempotency_key_reused"


def test_idempotency_key_concurrent(app, w, f, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (real parallel writers)")
    h = w.h(w.expo, **{"Idempotency-Key": "k-" + uuid.uuid4().hex})
    body = {"qr_data": qr(w.part), "event_id": str(w.event.id), "notes": "stand A"}
    barrier = threading.Barrier(12)

    def one(_):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        r = client.post_json(SCAN, body, headers=h, expect_errors=True)
        return r.status_int, r.json

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(one, range(12)))
    assert {s for s, _ in results} == {201}
    assert all(b == results[0][1] for _, b in results)
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 1


def test_concurrent_scans_without_key_make_one_lead(app, w, f, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (real parallel writers)")
    h = w.h(w.expo)
    body = {"qr_data": qr(w.part), "event_id": str(w.event.id)}
    barrier = threading.Barrier(8)

    def one(_):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        return client.post_json(SCAN, body, headers=h, expect_errors=True).status_int

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(one, range(8)))
    assert statuses == [200] * 7 + [201]
    assert count(f.db) == 1 and count(f.db, ExposantVisit) == 1


# --------------------------------------------------------------------------- export


def _sheet(resp):
    wb = openpyxl.load_workbook(io.BytesIO(resp.body))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_export_one_row_per_visitor_and_no_formula(app, w, f):
    evil = f.member(w.event, PART, first_name='=HYPERLINK("http://evil.example","x")', last_name="",
                    organization="+cmd|' /C calc'!A0")
    w.scan(app, w.part, notes="un", status=201)
    w.scan(app, w.part, notes="deux", status=200)  # merged: same row
    w.scan(app, evil, notes="@SUM(1)", status=201)
    w.scan(app, w.part2, by=w.expo2, status=201)
    for path in ("export/", "export_excel/"):
        r = app.get(URL + path, headers={**w.h(w.expo), "Accept": "*/*"}, status=200)
        assert r.content_type.startswith("application/vnd.openxmlformats")
        rows = _sheet(r)
        assert rows[0][:4] == ["Name", "First name", "Last name", "Email"]
        assert len(rows) == 3  # header + one row per visitor of this exposant
        by_email = {row[3]: row for row in rows[1:]}
        assert set(by_email) == {w.part.email, evil.email}
        ahmed = by_email[w.part.email]
        assert ahmed[0] == "Ahmed Benali" and ahmed[4] == "Sonatrach" and ahmed[5] == "CTO"
        assert ahmed[6] == "+213 555 000" and ahmed[9] == 1 and ahmed[10] == "un\ndeux"
        assert isinstance(ahmed[7], dt.datetime)
        bad = by_email[evil.email]
        assert bad[0] == '=HYPERLINK("http://evil.example","x")'
        assert bad[4] == "+cmd|' /C calc'!A0" and bad[10] == "@SUM(1)"
    # the raw cells are typed strings, never formulas
    raw = openpyxl.load_workbook(io.BytesIO(r.body))
    cells = [c for row in raw.active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    # a gestionnaire gets every lead of the event with the exposant's name
    rows = _sheet(app.get(URL + "export_excel/", headers=w.h(w.gest), status=200))
    assert rows[0][:3] == ["Exposant", "Exposant organization", "Name"]
    assert len(rows) == 4
    assert {r[0] for r in rows[1:]} == {"Yasmine Stand", "Karim Booth"}


# --------------------------------------------------------------------------- exposants and plans


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_exposants_directory_and_booth_plan(app, w):
    w.scan(app, w.part, status=201)
    # the exposant uploads their plan (the app's path, served by this plugin)
    app.post(f"/api/participants/{w.pid(w.expo)}/upload_plan/", upload_files=[("plan_file", "plan.pdf", PDF)],
             headers=w.h(w.expo), status=200)
    r = app.get("/api/exposants/", headers=w.h(w.part)).json
    assert r["count"] == 2
    items = {x["id"]: x for x in r["results"]}
    mine = items[w.pid(w.expo)]
    assert mine["name"] == "Yasmine Stand" and mine["organization"] == "Acme"
    assert mine["plan_file"].endswith(".pdf") and mine["has_plan"] is True
    assert items[w.pid(w.expo2)]["plan_file"] is None
    assert "lead_count" not in mine and "email" not in mine  # participants don't see lead figures
    own = {x["id"]: x for x in app.get("/api/exposants/", headers=w.h(w.expo)).json["results"]}
    assert own[w.pid(w.expo)]["lead_count"] == 1 and "lead_count" not in own[w.pid(w.expo2)]
    gest = {x["id"]: x for x in app.get("/api/exposants/", headers=w.h(w.gest)).json["results"]}
    assert gest[w.pid(w.expo)]["lead_count"] == 1 and gest[w.pid(w.expo2)]["lead_count"] == 0
    assert app.get("/api/exposants/", {"search": "globex"}, headers=w.h(w.ctrl)).json["count"] == 1
    plan = app.get(f"/api/exposants/{w.pid(w.expo)}/plan/", headers=w.h(w.part)).json
    assert plan["plan_file"] == mine["plan_file"]
    redirect = app.get(f"/api/exposants/{w.pid(w.expo)}/plan/", {"redirect": "1"}, headers=w.h(w.part),
                       status=302)
    assert redirect.headers["Location"] == mine["plan_file"]
    assert app.get(mine["plan_file"].replace("http://localhost", "")).body == PDF
    assert app.get(f"/api/exposants/{w.pid(w.expo2)}/plan/", headers=w.h(w.part),
                   status=404).json["field"] == "plan_file"
    app.get(f"/api/exposants/{w.pid(w.part)}/plan/", headers=w.h(w.part), status=404)  # not an exposant
    app.get(f"/api/exposants/{w.pid(w.expo)}/plan/", headers=w.h(w.foreign_part, w.foreign), status=404)
    app.get("/api/exposants/", {"event": str(w.event.id)}, headers=w.h(w.foreign_part, w.foreign), status=404)
    # another exposant may not upload my plan
    r = app.post(f"/api/participants/{w.pid(w.expo)}/upload_plan/", upload_files=[("plan_file", "p.pdf", PDF)],
                 headers=w.h(w.expo2), status="*")
    assert r.status_int in (403, 404)


# --------------------------------------------------------------------------- hooks


def test_event_statistics_hook(app, w, f):
    w.scan(app, w.part, status=201)
    w.scan(app, w.part, status=200)  # merged, not counted
    w.scan(app, w.part2, status=201)
    s = w.scan(app, w.part, by=w.expo2, status=201).json
    _age(f.db, s["id"], dt.timedelta(hours=2))
    w.scan(app, w.part, by=w.expo2, status=200)  # second visit at expo2
    pm = app.app.registry.makeplus.plugins
    sections = pm.hook.makeplus_event_statistics(dbsession=f.db, event_id=w.event.id, role="admin")
    f.db.commit()
    merged = {k: v for sec in sections if sec for k, v in sec.items()}
    stats = merged["exposants"]
    assert (stats["visits"], stats["unique_visitors"], stats["leads"]) == (4, 2, 3)
    assert [(b["name"], b["visits"]) for b in stats["top_booths"]] == [("Karim Booth", 2), ("Yasmine Stand", 2)] \
        or [(b["name"], b["visits"]) for b in stats["top_booths"]] == [("Yasmine Stand", 2), ("Karim Booth", 2)]
    # and through the core's statistics endpoint
    r = app.get(f"/api/events/{w.event.id}/statistics/", headers=w.h(w.gest)).json
    assert r["exposants"]["visits"] == 4


def test_search_hook(app, w):
    w.scan(app, w.part, notes="prospect chaud", status=201)
    res = app.get("/api/search/", {"q": "globex"}, headers=w.h(w.part)).json
    items = res["results"] if isinstance(res, dict) and "results" in res else res
    assert any(x["type"] == "exposant" and x["id"] == w.pid(w.expo2) for x in items)
    res = app.get("/api/search/", {"q": "prospect"}, headers=w.h(w.expo)).json
    items = res["results"] if isinstance(res, dict) and "results" in res else res
    assert [x["type"] for x in items if x["type"] == "exposant_lead"] == ["exposant_lead"]
    for user in (w.expo2, w.part):
        res = app.get("/api/search/", {"q": "prospect"}, headers=w.h(user)).json
        items = res["results"] if isinstance(res, dict) and "results" in res else res
        assert not any(x["type"] == "exposant_lead" for x in items)
    res = app.get("/api/search/", {"q": "benali"}, headers=w.h(w.gest)).json
    items = res["results"] if isinstance(res, dict) and "results" in res else res
    assert any(x["type"] == "exposant_lead" for x in items)


def test_user_export(app, w):
    w.scan(app, w.part, notes="n", status=201)
    mine = app.get("/api/auth/me/export/", headers=w.h(w.expo)).json
    assert [x["notes"] for x in mine["exposant_leads_recorded"]] == ["n"]
    theirs = app.get("/api/auth/me/export/", headers=w.h(w.part)).json
    assert len(theirs["exposant_booths_visited"]) == 1 and "notes" not in theirs["exposant_booths_visited"][0]


# --------------------------------------------------------------------------- plugin off, query counts


def test_disabled_plugin_routes_are_404(app, make_app, settings, w):
    s = w.scan(app, w.part, status=201).json
    others = [p for p in settings["makeplus.plugins"].split() if p != "exposants"]
    other = make_app(**{"makeplus.plugins": " ".join(others)})
    assert "exposants" not in other.get("/api/health/").json["plugins"]
    h = w.h(w.expo)
    other.get(URL, headers=h, status=404)
    other.post_json(SCAN, {"qr_data": qr(w.part)}, headers=h, status=404)
    other.post_json(URL, {"qr_data": qr(w.part)}, headers=h, status=404)
    other.get(f"{URL}{s['id']}/", headers=h, status=404)
    other.get(f"{URL}my_scans/", headers=h, status=404)
    other.get(f"{URL}export_excel/", headers=h, status=404)
    other.get("/api/exposants/", headers=h, status=404)
    r = other.get(f"/api/events/{w.event.id}/statistics/", headers=w.h(w.gest), status=200).json
    assert "exposants" not in r


def test_list_query_count_is_constant(app, w, f, count_queries):
    visitors = [f.member(w.event, PART) for _ in range(50)]
    h = w.h(w.expo)

    gh = w.h(w.gest)

    def measure(path, headers=h):
        with count_queries() as q:
            app.get(path, headers=headers, status=200)
        return q.count

    def all_counts():
        return (measure(URL), measure(URL + "my_scans/"), measure("/api/exposants/"), measure(URL, gh))

    for v in visitors[:5]:
        w.scan(app, v, status=201)
    small = all_counts()
    for v in visitors[5:]:
        w.scan(app, v, status=201)
    assert app.get(URL, headers=h).json["count"] == 50
    assert len(app.get(URL, headers=gh).json["results"]) == 50
    big = all_counts()
    assert small == big, (small, big)


def test_demo_data(app, db, settings):
    from makeplus_core.plugin_api import Event, User, make_plugin_manager
    from makeplus_core.plugin_api import demo as core_demo
    from makeplus_core.testing import Factories

    pm = make_plugin_manager(settings)
    core_demo.load(db, pm)
    db.commit()
    n = db.scalar(sa.select(sa.func.count()).select_from(ExposantScan))
    assert n == 2
    core_demo.load(db, pm)  # idempotent
    db.commit()
    assert db.scalar(sa.select(sa.func.count()).select_from(ExposantScan)) == 2
    f = Factories(db, app)
    expo = db.scalar(sa.select(User).where(User.email == "exposant@makeplus.demo"))
    event = db.scalar(sa.select(Event).where(Event.name == "Tech Summit Algeria 2025"))
    db.commit()
    body = app.get(f"{URL}my_scans/", headers=f.auth(expo, event)).json
    assert body["total_visits"] == 2 and body["today_visits"] >= 1
    emails = {s["scanned_participant_email"] for s in body["scans"]}
    assert emails == {"participant@makeplus.demo", "participant2@makeplus.demo"}
    assert any(s["notes"] for s in body["scans"])
