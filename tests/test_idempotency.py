"""Idempotency-Key on any POST: retries do the work once and get the first answer."""
import threading

import pytest
import sqlalchemy as sa
import webtest


@pytest.fixture
def world(f):
    event = f.event()
    gest = f.member(event, "gestionnaire_des_salles")
    return event, gest, f.auth(gest, event)


def count_rooms(db, event):
    from makeplus_core.rooms.models import Room

    db.expire_all()
    return db.scalar(sa.select(sa.func.count()).select_from(Room).where(Room.event_id == event.id))


def test_retry_replays_first_answer(app, db, world):
    event, _, h = world
    body = {"event": str(event.id), "name": "Salle A", "capacity": 10}
    first = app.post_json("/api/rooms/", body, headers={**h, "Idempotency-Key": "k-1"})
    again = app.post_json("/api/rooms/", body, headers={**h, "Idempotency-Key": "k-1"})
    assert again.json == first.json and again.status_int == first.status_int
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count_rooms(db, event) == 1
    # a new key is a new request (here a duplicate name: 409)
    app.post_json("/api/rooms/", body, headers={**h, "Idempotency-Key": "k-2"}, status=409)


def test_key_reused_with_other_body_is_refused(app, world):
    event, _, h = world
    app.post_json("/api/rooms/", {"event": str(event.id), "name": "A"}, headers={**h, "Idempotency-Key": "k"})
    r = app.post_json("/api/rooms/", {"event": str(event.id), "name": "B"}, headers={**h, "Idempotency-Key": "k"},
                      status=422)
    assert r.json["field"] == "Idempotency-Key"


def test_keys_are_per_caller(app, db, f, world):
    event, _, h = world
    other = f.member(event, "gestionnaire_des_salles")
    app.post_json("/api/rooms/", {"event": str(event.id), "name": "A"}, headers={**h, "Idempotency-Key": "same"})
    r = app.post_json("/api/rooms/", {"event": str(event.id), "name": "A"},
                      headers={**f.auth(other, event), "Idempotency-Key": "same"}, status=409)
    assert "Idempotent-Replayed" not in r.headers


def test_concurrent_retries_run_once(app, db, world):
    event, _, h = world
    body = {"event": str(event.id), "name": "Salle concurrente", "capacity": 5}
    answers = []

    def post():
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        r = client.post_json("/api/rooms/", body, headers={**h, "Idempotency-Key": "race"}, expect_errors=True)
        answers.append((r.status_int, r.body))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a for a in answers}) == 1, answers
    assert answers[0][0] == 201
    assert count_rooms(db, event) == 1
