"""Caisse sales in the global search (``makeplus_search``): by buyer name, e-mail or
transaction id, for gestionnaires and platform admins only."""
from __future__ import annotations

import pytest
from helpers import make_world, pof, sell

KIND = "caisse_transaction"


@pytest.fixture
def w(app, f):
    w = make_world(app, f)
    w.sale = sell(app, w, [w.dinner["id"]]).json
    other_user = f.member(w.event, "participant", first_name="Yacine", last_name="Brahimi",
                          email="yacine@brahimi.dz")
    w.sale2 = sell(app, w, [w.dinner["id"]], participant=pof(f, other_user, w.event).id).json
    w.part = f.member(w.event, "participant")
    return w


def found(app, f, user, event, q, **params):
    res = app.get("/api/search/", params={"q": q, **params}, headers=f.auth(user, event)).json
    return [r for r in res["results"] if r["type"] == KIND]


def test_gestionnaire_finds_sales_by_name_email_and_id(app, f, w):
    hits = found(app, f, w.gest, w.event, "meziane")
    assert [h["id"] for h in hits] == [w.sale["id"]]
    assert hits[0]["title"] == "Sara Meziane"
    assert hits[0]["subtitle"] == "3500.00 DZD · Caisse 1 · completed"
    assert hits[0]["url"] == f"/api/caisse/transactions/{w.sale['id']}/"
    app.get(hits[0]["url"], headers=w.gh, status=200)
    assert [h["id"] for h in found(app, f, w.gest, w.event, "brahimi.dz")] == [w.sale2["id"]]
    by_id = found(app, f, w.gest, w.event, w.sale2["id"])
    assert [h["id"] for h in by_id] == [w.sale2["id"]] and by_id[0]["score"] >= 10
    assert found(app, f, w.gest, w.event, "nobody") == []
    admin = f.user(is_admin=True)
    res = app.get("/api/search/", params={"q": "meziane", "event": str(w.event.id)}, headers=f.auth(admin)).json
    assert [r["id"] for r in res["results"] if r["type"] == KIND] == [w.sale["id"]]


def test_other_roles_and_other_events_find_nothing(app, f, w):
    assert found(app, f, w.part, w.event, "meziane") == []
    assert found(app, f, w.buyer_user, w.event, w.sale["id"]) == []
    ctrl = f.member(w.event, "controlleur_des_badges")
    assert found(app, f, ctrl, w.event, "meziane") == []
    other = f.event()
    other_gest = f.member(other, "gestionnaire_des_salles")
    assert found(app, f, other_gest, other, "meziane") == []
    assert found(app, f, other_gest, other, w.sale["id"]) == []


def test_gone_when_plugin_disabled(make_app, f, w):
    bare = make_app(**{"makeplus.plugins": "annonces"})
    res = bare.get("/api/search/", params={"q": "meziane"}, headers=f.auth(w.gest, w.event)).json
    assert [r for r in res["results"] if r["type"] == KIND] == []
    assert any(r["type"] == "participant" for r in res["results"])
