"""Personal agenda: bookmarks, overlap flags, recommendations that never clash."""
import datetime as dt
import decimal

import pytest

from makeplus_core.access.models import RoomAccess, SessionAccess
from makeplus_core.db import utcnow

H = dt.timedelta(hours=1)


@pytest.fixture
def world(f):
    now = utcnow().replace(microsecond=0)
    event = f.event(start=now - dt.timedelta(days=1), days=5)
    other = f.event()
    user = f.member(event, "participant")
    outsider = f.member(other, "participant")
    room = f.room(event, capacity=None)
    small = f.room(event, capacity=1)
    base = now + dt.timedelta(hours=2)
    s = {
        "a": f.session(event, room, start=base, hours=2, title="A", speaker_name="Ada", theme="IA"),
        "b": f.session(event, room, start=base + H, hours=2, title="B overlaps A", speaker_name="Bob"),
        "c": f.session(event, room, start=base + 3 * H, hours=1, title="C after A", speaker_name="Ada"),
        "clash": f.session(event, room, start=base + H, hours=1, title="Ada again but clashes",
                           speaker_name="Ada", theme="IA"),
        "theme": f.session(event, room, start=base + 5 * H, hours=1, title="IA theme", theme="ia"),
        "ended": f.session(event, room, start=now - 5 * H, hours=1, title="Ada past", speaker_name="Ada"),
        "full": f.session(event, small, start=base + 6 * H, hours=1, title="Ada full", speaker_name="Ada"),
        "paid_full": f.session(event, room, start=base + 7 * H, hours=1, title="Ada paid full",
                               speaker_name="Ada", is_paid=True, price=10, capacity=1, session_type="atelier"),
        "cancelled": f.session(event, room, start=base + 8 * H, hours=1, title="Ada cancelled",
                               speaker_name="Ada", status="cancelled"),
        "unrelated": f.session(event, room, start=base + 9 * H, hours=1, title="Other", speaker_name="Zed",
                               theme="Cloud"),
        "attended": f.session(event, room, start=now - 3 * H, hours=1, title="Attended", speaker_name="Carla",
                              theme="Robots"),
        "carla": f.session(event, room, start=base + 10 * H, hours=1, title="Carla next", speaker_name="carla "),
    }
    foreign = f.session(other, f.room(other), title="Foreign")
    return dict(event=event, other=other, user=user, outsider=outsider, s=s, foreign=foreign, now=now)


def test_bookmarks_and_overlaps(app, f, world):
    w, s = world, world["s"]
    h = f.auth(w["user"], w["event"])
    r = app.post_json("/api/my-agenda/", {"session": str(s["a"].id)}, headers=h, status=201).json
    assert r["id"] == str(s["a"].id) and r["has_conflict"] is False and r["conflicts_with"] == []
    app.post_json("/api/my-agenda/", {"session_id": str(s["a"].id)}, headers=h, status=200)  # idempotent
    r = app.post_json("/api/my-agenda/", {"session": str(s["b"].id)}, headers=h, status=201).json
    assert r["conflicts_with"] == [str(s["a"].id)] and r["has_conflict"]
    app.post_json("/api/my-agenda/", {"session": str(s["c"].id)}, headers=h, status=201)
    lst = app.get("/api/my-agenda/", headers=h).json
    assert lst["count"] == 3
    items = {x["id"]: x for x in lst["results"]}
    assert items[str(s["a"].id)]["conflicts_with"] == [str(s["b"].id)]
    assert items[str(s["b"].id)]["conflicts_with"] == [str(s["a"].id)]
    # B (base+1h .. base+3h) and C (base+3h ..) only touch: no conflict
    assert items[str(s["c"].id)]["has_conflict"] is False
    assert [x["title"] for x in lst["results"]] == ["A", "B overlaps A", "C after A"]
    app.delete(f"/api/my-agenda/{s['b'].id}/", headers=h, status=204)
    app.delete(f"/api/my-agenda/{s['b'].id}/", headers=h, status=404)
    lst = app.get("/api/my-agenda/", headers=h).json
    assert lst["count"] == 2 and not any(x["has_conflict"] for x in lst["results"])
    # another user's agenda is separate
    assert app.get("/api/my-agenda/", headers=f.auth(f.member(w["event"], "participant"), w["event"])).json["count"] == 0


def test_foreign_event_and_validation(app, f, world):
    w = world
    h = f.auth(w["user"], w["event"])
    r = app.post_json("/api/my-agenda/", {"session": str(w["foreign"].id)}, headers=h, status=404).json
    assert r["field"] == "session"
    app.delete(f"/api/my-agenda/{w['foreign'].id}/", headers=h, status=404)
    assert app.post_json("/api/my-agenda/", {}, headers=h, status=400).json["field"] == "session"
    assert app.post_json("/api/my-agenda/", {"session": "nope"}, headers=h, status=400).json["field"] == "session"
    app.get("/api/my-agenda/", status=401)
    app.get("/api/my-agenda/", params={"event": str(w["event"].id)},
            headers=f.auth(w["outsider"], w["other"]), status=404)
    app.get("/api/my-agenda/recommendations/", params={"event": str(w["event"].id)},
            headers=f.auth(w["outsider"], w["other"]), status=404)


def test_recommendations_never_clash_end_or_full(app, f, db, world):
    w, s = world, world["s"]
    h = f.auth(w["user"], w["event"])
    assert app.get("/api/my-agenda/recommendations/", headers=h).json["count"] == 0  # no interests yet
    app.post_json("/api/my-agenda/", {"session": str(s["a"].id)}, headers=h, status=201)
    # "full": the small room (capacity 1) is bookmarked by someone else
    someone = f.member(w["event"], "participant")
    app.post_json("/api/my-agenda/", {"session": str(s["full"].id)}, headers=f.auth(someone, w["event"]),
                  status=201)
    # "paid_full": one paid seat out of one
    db.add(SessionAccess(participant_id=f.participant_of(someone, w["event"]).id, session_id=s["paid_full"].id,
                         payment_status="paid", amount_paid=decimal.Decimal(10)))
    # attended a Carla session
    db.add(RoomAccess(event_id=w["event"].id, room_id=s["attended"].room_id, session_id=s["attended"].id,
                      participant_id=f.participant_of(w["user"], w["event"]).id, status="granted", layer="test"))
    db.commit()
    r = app.get("/api/my-agenda/recommendations/", headers=h).json
    titles = [x["title"] for x in r["results"]]
    assert titles == ["C after A", "Carla next", "IA theme"]  # speaker (3) before theme (2), then time
    assert r["results"][0]["score"] == 3 and r["results"][0]["reasons"] == [{"kind": "speaker", "value": "Ada"}]
    assert r["results"][2]["reasons"] == [{"kind": "theme", "value": "ia"}]
    # invariant: no recommendation overlaps any bookmarked session, none ended
    agenda = app.get("/api/my-agenda/", headers=h).json["results"]

    def overlaps(x, y):
        return x["start_time"] < y["end_time"] and y["start_time"] < x["end_time"]

    for rec in r["results"]:
        assert not any(overlaps(rec, b) for b in agenda), rec["title"]
        assert rec["end_time"] > w["now"].isoformat().replace("+00:00", "Z")
    # bookmarking C removes it from the recommendations and the agenda still has no conflict
    app.post_json("/api/my-agenda/", {"session": str(s["c"].id)}, headers=h, status=201)
    r = app.get("/api/my-agenda/recommendations/", headers=h).json
    assert "C after A" not in [x["title"] for x in r["results"]]
    # free the full room: now recommended (capacity counts bookmarks)
    app.delete(f"/api/my-agenda/{s['full'].id}/", headers=f.auth(someone, w["event"]), status=204)
    titles = [x["title"] for x in app.get("/api/my-agenda/recommendations/", headers=h).json["results"]]
    assert "Ada full" in titles and "Ada paid full" not in titles and "Ada again but clashes" not in titles
