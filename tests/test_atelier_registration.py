"""Issue 17 (part A): participants register themselves for an atelier (free: confirmed
within capacity; paid: pending until paid) and cancel before it starts."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from test_access_concurrency import postgres_only, run_parallel

from makeplus_core.access.models import SessionAccess
from makeplus_core.db import utcnow

GEST = "gestionnaire_des_salles"
CTRL = "controlleur_des_badges"


@pytest.fixture
def w(f):
    class W:
        event = f.event(days=5)
        room = f.room(event, name="Salle Atelier", capacity=30)
        later = utcnow() + dt.timedelta(hours=3)
        free = f.session(event, room, title="Atelier libre", session_type="atelier", start=later, capacity=2)
        paid = f.session(event, room, title="Atelier payant", session_type="atelier", is_paid=True,
                         price="6000.00", start=later + dt.timedelta(hours=2))
        running = f.session(event, room, title="En cours", session_type="atelier",
                            start=utcnow() - dt.timedelta(minutes=10), status="en_cours")
        alice = f.member(event, "participant")
        bob = f.member(event, "participant")
        carol = f.member(event, "participant")
        gest = f.member(event, GEST)
        ctrl = f.member(event, CTRL)

        def h(self, user):
            return f.auth(user, self.event)

    return W()


def url(session, action="register"):
    return f"/api/sessions/{session.id}/{action}/"


def test_free_atelier_confirmed_within_capacity(app, w, db):
    r = app.post_json(url(w.free), {}, headers=w.h(w.alice), status=201).json
    assert r["status"] == "confirmed" and r["registration"]["payment_status"] == "free"
    assert r["registration"]["has_access"] is True and r["seats_left"] == 1
    app.post_json(url(w.free), {}, headers=w.h(w.bob), status=201)
    full = app.post_json(url(w.free), {}, headers=w.h(w.carol), status=409).json
    assert full["reason"] == "session_full" and full["field"] == "session"
    again = app.post_json(url(w.free), {}, headers=w.h(w.alice), status=409).json
    assert again["reason"] == "already_registered"
    mine = app.get(url(w.free), headers=w.h(w.carol)).json
    assert mine["registered"] is False and mine["status"] is None and mine["seats_left"] == 0
    # cancel before it starts frees the seat
    c = app.delete(url(w.free), headers=w.h(w.alice)).json
    assert c["registered"] is False and c["seats_left"] == 1
    app.post_json(url(w.free), {}, headers=w.h(w.carol), status=201)
    app.post_json(url(w.free, "unregister"), {}, headers=w.h(w.alice), status=404)  # no longer registered
    people = app.get(f"/api/sessions/{w.free.id}/participants/", headers=w.h(w.gest)).json
    assert people["summary"]["registered"] == 2 and people["summary"]["capacity"] == 2


def test_paid_atelier_pending_until_paid(app, w, f, db):
    r = app.post_json(url(w.paid), {}, headers=w.h(w.alice), status=201).json
    assert r["status"] == "pending" and r["registration"]["payment_status"] == "pending"
    assert r["registration"]["has_access"] is False and r["price"] == 6000.0
    ateliers = app.get("/api/my-ateliers/", headers=w.h(w.alice)).json
    assert ateliers["summary"]["pending_count"] == 1
    # the door refuses until it is paid (402), then admits
    qr = json.dumps({"user_id": w.alice.id, "badge_id": w.alice.badge_id})
    door = f"/api/rooms/{w.room.id}/verify_access/"
    app.post_json(door, {"qr_data": qr, "session": str(w.paid.id)}, headers=w.h(w.ctrl), status=402)
    access_id = r["registration"]["id"]
    app.patch_json(f"/api/session-access/{access_id}/", {"payment_status": "paid"}, headers=w.h(w.gest))
    app.post_json(door, {"qr_data": qr, "session": str(w.paid.id)}, headers=w.h(w.ctrl), status=200)
    mine = app.get(url(w.paid), headers=w.h(w.alice)).json
    assert mine["status"] == "confirmed" and mine["registration"]["payment_status"] == "paid"
    # a paid registration is refunded at the desk, not cancelled here
    r = app.delete(url(w.paid), headers=w.h(w.alice), status=409).json
    assert r["reason"] == "paid_registration"
    # refunded: may register again (pending)
    app.patch_json(f"/api/session-access/{access_id}/", {"payment_status": "refunded"}, headers=w.h(w.gest))
    assert app.post_json(url(w.paid), {}, headers=w.h(w.alice), status=200).json["status"] == "pending"
    assert db.scalar(sa.select(sa.func.count()).select_from(SessionAccess)) == 1
    db.commit()


def test_pending_registration_cancelled(app, w):
    app.post_json(url(w.paid), {}, headers=w.h(w.bob), status=201)
    assert app.post_json(url(w.paid, "unregister"), {}, headers=w.h(w.bob)).json["message"] == "Registration cancelled"
    assert app.get(url(w.paid), headers=w.h(w.bob)).json["registered"] is False


def test_only_before_the_session_starts(app, w, f):
    r = app.post_json(url(w.running), {}, headers=w.h(w.alice), status=409).json
    assert r["reason"] == "session_started"
    past = f.session(w.event, w.room, title="Hier", start=utcnow() - dt.timedelta(hours=30))
    app.post_json(url(past), {}, headers=w.h(w.alice), status=409)
    app.delete(url(w.running), headers=w.h(w.alice), status=409)


def test_who_may_register(app, w, f):
    app.post_json(url(w.free), {}, headers=w.h(w.gest), status=403)
    app.post_json(url(w.free), {}, headers=w.h(w.ctrl), status=403)
    app.post_json(url(w.free), {}, status=401)
    other = f.event()
    outsider = f.member(other, "participant")
    app.post_json(url(w.free), {}, headers=f.auth(outsider, other), status=404)
    app.post_json("/api/sessions/00000000-0000-0000-0000-000000000000/register/", {}, headers=w.h(w.alice),
                  status=404)
    expo = f.member(w.event, "exposant")
    app.post_json(url(w.free), {}, headers=w.h(expo), status=201)


def test_capacity_falls_back_to_the_room(app, w, f):
    small = f.room(w.event, name="Petite salle", capacity=1)
    s = f.session(w.event, small, title="Sans capacité", start=utcnow() + dt.timedelta(hours=2))
    app.post_json(url(s), {}, headers=w.h(w.alice), status=201)
    assert app.post_json(url(s), {}, headers=w.h(w.bob), status=409).json["reason"] == "session_full"


def test_concurrent_registrations_never_exceed_capacity(app, f, db, engine):
    postgres_only(engine)
    event = f.event(days=5)
    room = f.room(event, capacity=500)
    session = f.session(event, room, title="Rush", session_type="atelier",
                        start=utcnow() + dt.timedelta(hours=4), capacity=7)
    people = [f.member(event, "participant") for _ in range(30)]
    results = run_parallel(app, [(url(session), {}, f.auth(p, event)) for p in people])
    statuses = sorted(s for s, _ in results)
    assert statuses.count(201) == 7 and statuses.count(409) == 23, statuses
    assert all(b["reason"] == "session_full" for s, b in results if s == 409)
    n = db.scalar(sa.select(sa.func.count()).select_from(SessionAccess)
                  .where(SessionAccess.session_id == session.id, SessionAccess.has_access.is_(True)))
    db.commit()
    assert n == 7
