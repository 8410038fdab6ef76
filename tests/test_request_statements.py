"""Statements per request of the busiest reads and of the event check-in (issue 20): counted,
never timed. The core alone, and with the caisse plugin (it contributes paid items: the
plugin hooks then read the event's switched-off plugins, once; at the check-in only for a
holder its gate says bought something)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from makeplus_core.db import utcnow

CTRL = "controlleur_des_badges"
GEST = "gestionnaire_des_salles"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


def _world(f, db):
    event = f.event()
    rooms = [f.room(event, name=f"Room {i}") for i in range(3)]
    for i in range(9):
        f.session(event, rooms[i % 3], start=utcnow() + dt.timedelta(hours=i), title=f"Talk {i}")
    people = {"gest": f.member(event, GEST), "ctrl": f.member(event, CTRL),
              "holder": f.member(event, "participant")}
    db.commit()
    return event, people


def _count(count_queries, call):
    call()  # warm: statement caches
    with count_queries() as q:
        r = call()
    return r, q


def test_sessions_list_statements(make_app, f, db, count_queries):
    app = make_app(**{"makeplus.plugins": ""})
    event, p = _world(f, db)
    h = f.auth(p["gest"], event)
    r, q = _count(count_queries, lambda: app.get("/api/sessions/", headers=h))
    assert r.json["count"] == 9 and len({s["room_name"] for s in r.json["results"]}) == 3
    # identity, the page with its rooms and its count (count(*) OVER (): 3 before, 5 before that;
    # no query for the room names) and no SELECT events when no plugin extends a session's JSON
    assert q.count == 2, q.statements


@pytest.mark.parametrize("plugins", ["", "caisse"])
def test_me_statements(make_app, f, db, count_queries, plugins):
    from makeplus_core.access.models import SessionAccess

    app = make_app(**{"makeplus.plugins": plugins})
    event, p = _world(f, db)
    h = f.auth(p["holder"], event)
    r, q = _count(count_queries, lambda: app.get("/api/auth/me/", headers=h))
    assert r.json["event"]["id"] == str(event.id) and r.json["participant"] is not None
    assert r.json["qr_code"]["paid_items"] == []
    # identity (with the event's switched-off plugins), then the event with the caller's participant
    # row, whether they have paid-atelier rights and the plugins' paid-items gates (caisse: a
    # completed sale) in one statement: nothing else to read (3 before, 4 with caisse; 4/5 before that)
    assert q.count == 2, q.statements
    session = f.session(event, f.room(event, name="Atelier"), is_paid=True, price="20.00", title="UX")
    f.commit(SessionAccess(participant_id=f.participant_of(p["holder"], event).id, session_id=session.id,
                           payment_status="paid", has_access=True, amount_paid=20))
    r, q = _count(count_queries, lambda: app.get("/api/auth/me/", headers=h))
    assert [i["title"] for i in r.json["qr_code"]["paid_items"]] == ["UX"]
    assert r.json["participant"]["qr_code_data"]["paid_items"] == r.json["qr_code"]["paid_items"]
    assert q.count == 3, q.statements  # the paid ateliers are read now that there are some


@pytest.mark.parametrize("plugins, expected", [("", 4), ("caisse", 4)])
def test_event_check_in_statements(make_app, f, db, count_queries, plugins, expected):
    app = make_app(**{"makeplus.plugins": plugins})
    event, p = _world(f, db)
    h = f.auth(p["ctrl"], event)
    r, q = _count(count_queries, lambda: app.post_json("/api/participants/scan/", {"qr_data": qr(p["holder"])},
                                                       headers=h))
    assert r.json["status"] == "success" and r.json["event"]["id"] == str(event.id)
    # identity, holder (with the event's name and switched-off plugins: no SELECT events of the
    # plugin hooks, one before), journal row, check-in (paid ateliers: not read, the holder read
    # says there are none; one more before); caisse: its paid items not read either, its gate
    # (makeplus_paid_items_gates) says the holder bought nothing at a desk (one more before).
    # PostgreSQL: the holder read, the journal row and the check-in are one statement
    # (access/check_in.py): identity + 1
    pg = app.app.registry.makeplus.db_engine.dialect.name == "postgresql"
    assert q.count == (2 if pg else expected), q.statements


def test_event_check_in_reads_paid_ateliers_only_when_the_holder_has_some(make_app, f, db, count_queries):
    """The holder read says whether the holder has paid-atelier rights: the check-in reads
    them then only (one statement more), and lists them."""
    from makeplus_core.access.models import SessionAccess

    app = make_app(**{"makeplus.plugins": ""})
    event, p = _world(f, db)
    h = f.auth(p["ctrl"], event)
    post = lambda: app.post_json("/api/participants/scan/", {"qr_data": qr(p["holder"])}, headers=h)  # noqa: E731
    _, without = _count(count_queries, post)
    session = f.session(event, f.room(event, name="Atelier"), is_paid=True, price="20.00", title="UX")
    f.commit(SessionAccess(participant_id=f.participant_of(p["holder"], event).id, session_id=session.id,
                           payment_status="paid", has_access=True, amount_paid=20))
    r, with_ = _count(count_queries, post)
    assert with_.count == without.count + 1, with_.statements
    assert [i["title"] for i in r.json["paid_items"]] == ["UX"] and r.json["total_amount"] == 20.0


def test_event_gate_reading_another_room_column_counts_as_true():
    """At the event scanner a gate sees only room.id (NULL) and room.event_id; one that reads
    another column cannot say where its hook may deny: it is asked."""
    import sqlalchemy as sa

    from makeplus_core.access.check_in import event_gate

    event_id = sa.bindparam("event_id")
    assert event_gate(lambda room, holder: room.capacity > 1, event_id) is sa.true()
    assert event_gate(lambda room, holder: holder.id == room.event_id, event_id) is not sa.true()
