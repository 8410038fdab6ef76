"""Cash-desk sales are never deleted, and only gestionnaires and admins see the money
(issue 14, "Data that must not be lost or seen")."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import make_world, sell

from makeplus_caisse.models import Transaction, TransactionItem
from makeplus_core.plugin_api import Event, Session


def sales(db, event_id):
    n = db.scalar(sa.select(sa.func.count()).select_from(Transaction).where(Transaction.event_id == event_id))
    db.commit()
    return n


def test_event_with_sales_is_archived_not_deleted(app, f, db):
    w = make_world(app, f)
    t = sell(app, w, [w.dinner["id"]]).json
    app.post_json(f"/api/caisse/pos/transactions/{t['id']}/cancel/", {"reason": "Erreur"}, headers=w.ch)
    r = app.delete(f"/api/events/{w.event.id}/", headers=w.gh, status=409)
    assert r.json["reason"] == "event_has_records" and r.json["records"] == {"caisse_transactions": 1}
    assert sales(db, w.event.id) == 1
    # archived instead: the desk cannot sell any more, the sale stays readable
    app.post(f"/api/events/{w.event.id}/archive/", headers=w.gh, status=200)
    r = sell(app, w, [w.dinner["id"]], status=409)
    assert r.json["reason"] == "event_archived"
    assert sales(db, w.event.id) == 1
    assert app.get("/api/caisse/transactions/", headers=w.gh).json["count"] == 1


def test_database_refuses_to_delete_sales(app, f, db):
    """ON DELETE RESTRICT: even a code path that deleted the event row could not take the sales."""
    w = make_world(app, f)
    sell(app, w, [w.dinner["id"]])
    # what services.delete would do first (sessions hold rooms with RESTRICT), then the event row
    db.execute(sa.delete(Session).where(Session.event_id == w.event.id))
    with pytest.raises(sa.exc.IntegrityError):
        db.execute(sa.delete(Event).where(Event.id == w.event.id))
    db.rollback()
    with pytest.raises(sa.exc.IntegrityError):  # a sale's lines keep the sale
        db.execute(sa.delete(Transaction).where(Transaction.event_id == w.event.id))
    db.rollback()
    assert sales(db, w.event.id) == 1
    assert db.scalar(sa.select(sa.func.count()).select_from(TransactionItem)) >= 1
    db.commit()


@pytest.mark.parametrize("role, sees", [("gestionnaire_des_salles", True), ("participant", False),
                                        ("exposant", False), ("controlleur_des_badges", False)])
def test_revenue_only_for_gestionnaires(app, f, role, sees):
    w = make_world(app, f)
    sell(app, w, [w.dinner["id"]])
    h = w.gh if role == "gestionnaire_des_salles" else f.auth(f.member(w.event, role), w.event)
    for url in (f"/api/events/{w.event.id}/statistics/", "/api/dashboard/stats/"):
        body = app.get(url, headers=h).json
        assert ("caisse" in body) is sees, (url, body)
        if sees:
            assert body["caisse"]["revenue"] == "3500.00" and body["caisse"]["per_payment_method"]
        else:
            assert "3500" not in str(body) and "per_payment_method" not in str(body)
    stats = app.get(f"/api/events/{w.event.id}/statistics/", headers=h).json
    assert ("ateliers_revenue" in stats) is sees
