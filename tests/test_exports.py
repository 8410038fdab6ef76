"""Large exports built by a background job: /api/exports/ (inline in tests, RQ in production)."""
from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook
from pyramid_mailer.mailer import DummyMailer

from makeplus_core import jobs
from makeplus_core.exports import services
from makeplus_core.exports.models import ExportJob
from makeplus_core.testing import REDIS_TEST_URL as REDIS_URL
from makeplus_core.testing import redis_cleanup, redis_or_skip

GEST = "gestionnaire_des_salles"


def emails_in(xlsx: bytes) -> set:
    ws = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    return {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "@" in c.value}


def test_participants_export_built_after_commit_and_downloaded(app, f, db):
    event = f.event()
    gest = f.member(event, GEST)
    people = [f.member(event, "participant") for _ in range(3)]
    h = f.auth(gest, event)
    r = app.post_json("/api/exports/", {"kind": "participants"}, headers=h, status=202)
    exp = r.json
    assert exp["kind"] == "participants" and exp["status"] == "pending"  # as answered, before the job ran
    assert r.headers["Location"] == exp["url"]
    done = app.get(exp["url"], headers=h).json
    assert done["status"] == "done" and done["size"] > 0 and done["error"] is None
    assert done["finished_at"].endswith("Z")
    dl = app.get(done["download_url"], headers=h)
    assert dl.content_type.startswith("application/vnd.openxmlformats")
    assert dl.headers["Cache-Control"] == "private, no-store"
    assert f'participants-{event.id}.xlsx' in dl.headers["Content-Disposition"]
    assert {u.email for u in people} <= emails_in(dl.body)
    # Files live outside the public /media/ folder.
    path = services.file_path(app.app.registry.settings, db.get(ExportJob, uuid.UUID(exp["id"])))
    db.commit()
    assert path.is_file()
    assert "media" not in path.parts


def test_exports_are_for_gestionnaires_of_the_event(app, f):
    event, other = f.event(), f.event()
    gest, other_gest = f.member(event, GEST), f.member(other, GEST)
    part = f.member(event, "participant")
    app.post_json("/api/exports/", {"kind": "participants"}, headers=f.auth(part, event), status=403)
    exp = app.post_json("/api/exports/", {"kind": "participants"}, headers=f.auth(gest, event), status=202).json
    oh = f.auth(other_gest, other)
    assert app.get(exp["url"], headers=oh, status=404).json["field"] == "id"
    app.get(exp["url"] + "download/", headers=oh, status=404)
    app.get(exp["url"], headers=f.auth(part, event), status=403)
    app.get(exp["url"], status=401)


def test_bad_requests_name_the_field(app, f):
    event = f.event()
    h = f.auth(f.member(event, GEST), event)
    r = app.post_json("/api/exports/", {"kind": "everything"}, headers=h, status=400)
    assert r.json["field"] == "kind"
    assert app.post_json("/api/exports/", {}, headers=h, status=400).json["field"] == "kind"
    app.get(f"/api/exports/{uuid.uuid4()}/", headers=h, status=404)


def test_pending_exports_are_bounded_and_not_downloadable(app, f, db):
    event = f.event()
    gest = f.member(event, GEST)
    h = f.auth(gest, event)
    rows = [ExportJob(event_id=event.id, requested_by_id=gest.id, kind="participants", status="pending")
            for _ in range(5)]
    f.commit(*rows)
    r = app.post_json("/api/exports/", {"kind": "participants"}, headers=h, status=409)
    assert r.json["error"] == "conflict"
    app.get(f"/api/exports/{rows[0].id}/download/", headers=h, status=409)


def test_a_failing_build_is_marked_failed(app, f, monkeypatch):
    event = f.event()
    h = f.auth(f.member(event, GEST), event)

    def broken(db, event_id):
        raise RuntimeError("disk full")

    monkeypatch.setitem(services.KINDS, "participants", (broken, "participants"))
    exp = app.post_json("/api/exports/", {"kind": "participants"}, headers=h, status=202).json
    state = app.get(exp["url"], headers=h).json
    assert state["status"] == "failed" and state["error"] == "disk full" and state["download_url"] is None


def test_on_rq_the_export_waits_for_a_worker(make_app, f):
    client = redis_or_skip()
    from rq import SimpleWorker

    tag = uuid.uuid4().hex[:10]
    app = make_app(**{"makeplus.jobs.backend": "rq", "makeplus.redis_url": REDIS_URL,
                      "makeplus.redis_prefix": f"test-perfprod-exp-{tag}:", "makeplus.jobs.queue": f"test-perfprod-{tag}"})
    queue = app.app.registry.makeplus.job_queue
    try:
        event = f.event()
        h = f.auth(f.member(event, GEST), event)
        exp = app.post_json("/api/exports/", {"kind": "participants"}, headers=h, status=202).json
        assert app.get(exp["url"], headers=h).json["status"] == "pending"
        jobs.WORKER_CONTEXT = jobs.JobContext(app.app.registry.settings, mailer=DummyMailer())
        SimpleWorker([queue.queue], connection=queue.connection).work(burst=True)
        assert app.get(exp["url"], headers=h).json["status"] == "done"
    finally:
        jobs.WORKER_CONTEXT = None
        redis_cleanup(client, tag)


def test_scan_journal_export_holds_the_events_scans_only(app, f, db):
    """``{"kind": "scans"}``: every granted and denied scan of the event (room doors and the
    event-level scanner), never another event's."""
    import datetime as dt

    from makeplus_core.access.models import RoomAccess
    from makeplus_core.db import utcnow

    event, other = f.event(), f.event()
    gest = f.member(event, GEST)
    room, other_room = f.room(event, name="Amphi Nord"), f.room(other, name="Other Hall")
    holder = f.member(event, "participant", email="holder@scan.example")
    stranger = f.member(other, "participant", email="stranger@scan.example")
    now = utcnow()
    f.commit(RoomAccess(event_id=event.id, room_id=room.id, user_id=holder.id, verified_by_id=gest.id,
                        access_time=now - dt.timedelta(minutes=5), status="granted", layer="core",
                        reason="granted", http_status=200),
             RoomAccess(event_id=event.id, room_id=None, user_id=holder.id, verified_by_id=gest.id,
                        access_time=now - dt.timedelta(minutes=3), status="denied", layer="event",
                        reason="not_assigned", http_status=403),
             RoomAccess(event_id=other.id, room_id=other_room.id, user_id=stranger.id,
                        access_time=now, status="granted", layer="core", reason="granted", http_status=200))
    h = f.auth(gest, event)
    exp = app.post_json("/api/exports/", {"kind": "scans"}, headers=h, status=202).json
    done = app.get(exp["url"], headers=h).json
    assert done["status"] == "done"
    body = app.get(done["download_url"], headers=h).body
    ws = load_workbook(io.BytesIO(body)).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][:3] == ["Time (UTC)", "Status", "HTTP status"]
    assert [(r[1], r[3] or "", r[6]) for r in rows[1:]] == [("denied", "", "holder@scan.example"),
                                                     ("granted", "Amphi Nord", "holder@scan.example")]
    assert "stranger@scan.example" not in emails_in(body)
