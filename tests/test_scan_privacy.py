"""Scan denials never tell a scanner whose badge it is when the holder is not one of the
event's people (issue 14, "Data that must not be lost or seen"), at all three doors."""
from __future__ import annotations

import json

import pytest

CTRL, PART, EXPO = "controlleur_des_badges", "participant", "exposant"


def qr(user) -> str:
    return json.dumps({"user_id": user.id, "badge_id": user.badge_id})


@pytest.fixture
def world(f):
    event = f.event()
    other = f.event()
    outsider = f.member(other, PART, first_name="Secret", last_name="Holder", email="secret.holder@example.org")
    return {"event": event, "room": f.room(event), "ctrl": f.member(event, CTRL), "expo": f.member(event, EXPO),
            "outsider": outsider, "member": f.member(event, PART, first_name="In", last_name="Side")}


def assert_anonymous(body, outsider):
    text = json.dumps(body)
    assert "Secret" not in text and "Holder" not in text and outsider.email not in text, body
    assert "user" not in body and "participant" not in body


def test_room_door_denial_hides_outsider(app, f, world):
    h = f.auth(world["ctrl"], world["event"])
    url = f"/api/rooms/{world['room'].id}/verify_access/"
    r = app.post_json(url, {"qr_data": qr(world["outsider"])}, headers=h, status=403)
    assert r.json["reason"] == "no_event_access"
    assert_anonymous(r.json, world["outsider"])
    # an idempotent retry (answer rebuilt or replayed) reveals nothing either
    r = app.post_json(url, {"qr_data": qr(world["outsider"]), "scan_id": "privacy-1"}, headers=h, status=403)
    r2 = app.post_json(url, {"qr_data": qr(world["outsider"]), "scan_id": "privacy-1"}, headers=h, status=403)
    assert_anonymous(r.json, world["outsider"])
    assert_anonymous(r2.json, world["outsider"])


def test_room_door_disabled_account_hides_holder(app, f, world, db):
    holder = world["member"]
    holder.is_active = False
    f.commit(holder)
    h = f.auth(world["ctrl"], world["event"])
    r = app.post_json(f"/api/rooms/{world['room'].id}/verify_access/", {"qr_data": qr(holder)}, headers=h,
                      status=403)
    assert r.json["reason"] == "account_disabled"
    assert "user" not in r.json and holder.email not in json.dumps(r.json)


def test_room_door_member_denial_still_names_holder(app, f, world):
    """A member refused for a later reason (here: not allowed in this room) is named, as before."""
    from makeplus_core.participants.models import participant_allowed_rooms

    other_room = f.room(world["event"])
    participant = f.participant_of(world["member"], world["event"])
    f.db.execute(participant_allowed_rooms.insert().values(participant_id=participant.id, room_id=other_room.id))
    f.db.commit()
    h = f.auth(world["ctrl"], world["event"])
    r = app.post_json(f"/api/rooms/{world['room'].id}/verify_access/", {"qr_data": qr(world["member"])},
                      headers=h, status=403)
    assert r.json["reason"] == "room_not_allowed"
    assert r.json["user"]["name"] == "In Side"


def test_event_scanner_denial_hides_outsider(app, f, world):
    h = f.auth(world["ctrl"], world["event"])
    r = app.post_json("/api/participants/scan/", {"qr_data": qr(world["outsider"])}, headers=h, status=403)
    assert r.json["reason"] == "no_event_access"
    assert_anonymous(r.json, world["outsider"])


@pytest.mark.plugin("exposants")
def test_lead_scan_denial_hides_outsider(app, f, world):
    h = f.auth(world["expo"], world["event"])
    r = app.post_json("/api/exposant-scans/scan_participant/",
                      {"qr_data": qr(world["outsider"]), "event_id": str(world["event"].id)}, headers=h, status=403)
    assert r.json["reason"] == "no_event_access"
    assert_anonymous(r.json, world["outsider"])
