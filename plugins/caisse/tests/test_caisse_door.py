"""End to end with the core door check: sale -> the door grants the atelier; cancel -> 402.

Runs once the core's ``POST /api/rooms/{id}/verify_access/`` exists (detected at run time).
"""
import datetime as dt
import json

import pytest
from helpers import make_world, sell

from makeplus_core.plugin_api import utcnow


def door(app, w, headers):
    payload = json.dumps({"user_id": w.buyer_user.id, "badge_id": w.buyer_user.badge_id})
    body = {"qr_data": payload, "session": str(w.live.id), "session_id": str(w.live.id), "room_id": str(w.room.id)}
    return app.post_json(f"/api/rooms/{w.room.id}/verify_access/", body, headers=headers, status="*")


def test_sale_opens_the_door_and_cancel_closes_it(app, f):
    w = make_world(app, f)
    start = utcnow().replace(microsecond=0) - dt.timedelta(minutes=10)
    w.live = f.session(w.event, w.room, title="Atelier en cours", session_type="atelier", is_paid=True,
                       price="1500.00", start=start, hours=2, status="en_cours", capacity=5)
    staff = f.auth(w.gest, w.event)
    first = door(app, w, staff)
    if first.status_int == 404 and first.json.get("message", "").startswith("Not found: /api/rooms/"):
        pytest.skip("POST /api/rooms/{id}/verify_access/ is not in this build yet")
    assert first.status_int in (402, 403), first.body
    item = next(i for i in app.get("/api/caisse/items/", headers=w.gh).json["results"]
                if i["session"] == str(w.live.id))
    t = sell(app, w, [item["id"]]).json
    granted = door(app, w, staff)
    assert granted.status_int == 200 and granted.json["status"] == "granted", granted.body
    app.post_json(f"/api/caisse/pos/transactions/{t['id']}/cancel/", {"reason": "Remboursement"}, headers=w.ch)
    again = door(app, w, staff)
    assert again.status_int in (402, 403), again.body
