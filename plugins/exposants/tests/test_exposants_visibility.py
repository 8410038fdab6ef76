"""Booths' lead counts are for gestionnaires and admins; leads keep their event from
being deleted (issue 14, "Data that must not be lost or seen")."""
from __future__ import annotations

import json

import pytest

GEST, PART, EXPO = "gestionnaire_des_salles", "participant", "exposant"


@pytest.fixture
def world(app, f):
    event = f.event()
    w = {"event": event, "gest": f.member(event, GEST), "part": f.member(event, PART),
         "expo": f.member(event, EXPO, first_name="Yasmine", last_name="Stand"),
         "expo2": f.member(event, EXPO, first_name="Karim", last_name="Booth")}
    qr = json.dumps({"user_id": w["part"].id, "badge_id": w["part"].badge_id})
    app.post_json("/api/exposant-scans/scan_participant/", {"qr_data": qr, "event_id": str(event.id)},
                  headers=f.auth(w["expo"], event), status=201)
    return w


@pytest.mark.parametrize("who, sees", [("gest", True), ("part", False), ("expo2", False)])
def test_lead_counts_by_role(app, f, world, who, sees):
    h = f.auth(world[who], world["event"])
    for url in (f"/api/events/{world['event'].id}/statistics/", "/api/dashboard/stats/"):
        section = app.get(url, headers=h).json["exposants"]
        assert section["visits"] == 1 and section["unique_visitors"] == 1
        assert ("top_booths" in section) is sees and ("leads" in section) is sees, (who, url, section)
        if sees:
            assert section["top_booths"][0]["name"] == "Yasmine Stand" and section["leads"] == 1


def test_event_with_leads_is_not_deleted(app, f, world):
    r = app.delete(f"/api/events/{world['event'].id}/", headers=f.auth(world["gest"], world["event"]), status=409)
    assert r.json["reason"] == "event_has_records" and r.json["records"] == {"exposant_leads": 1}
