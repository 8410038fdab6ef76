"""On-site orders collected at the cash desk (the ``makeplus_desk_order`` hook).

A buyer who chose ``onsite`` pays at a ``caisse`` desk: the cashier finds the pending
order (its id, the buyer's e-mail or name), sells it, and the sale's completion
completes the order here, exactly once (the order row is locked: two desks selling
the same order → the second gets 409). Cancelling that sale at the desk refunds the
order through :func:`services.refund`. See docs/billetterie.md and docs/caisse.md.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import Conflict, icontains

from . import mails, services
from .models import Order

MAX_FOUND = 20


def _payload(order: Order) -> dict:
    label = f"Billetterie order {str(order.id)[:8]} ({order.buyer_name or order.buyer_email})"
    return {"reference": str(order.id), "label": label[:200],
            "buyer_name": order.buyer_name, "buyer_email": order.buyer_email,
            "buyer_user_id": order.buyer_user_id, "total": order.total, "currency": order.currency,
            "status": order.status}


def _order_id(reference):
    try:
        return uuid.UUID(str(reference))
    except ValueError:
        return None


def find(db, event_id, query: str | None) -> list[dict]:
    stmt = sa.select(Order).where(Order.event_id == event_id, Order.provider == "onsite",
                                  Order.kind == "purchase", Order.status == "pending")
    text = (query or "").strip()
    if text:
        order_id = _order_id(text)
        if order_id is not None:
            stmt = stmt.where(Order.id == order_id)
        else:
            stmt = stmt.where(sa.or_(icontains(text, Order.buyer_email, Order.buyer_name),
                                     sa.cast(Order.id, sa.String).like(f"{text.lower()}%")))
    rows = db.scalars(stmt.order_by(Order.created_at.desc(), Order.id).limit(MAX_FOUND)).all()
    return [_payload(o) for o in rows]


def _own(db, event_id, reference) -> Order | None:
    order_id = _order_id(reference)
    if order_id is None:
        return None
    order = services.lock_order(db, order_id)
    if order is None or order.event_id != event_id:
        return None
    return order


def pay(request, db, event_id, reference) -> dict | None:
    order = _own(db, event_id, reference)
    if order is None:
        return None
    if order.provider != "onsite" or order.kind != "purchase":
        raise Conflict("Only on-site ticket orders are paid at the cash desk", field="order")
    if order.status != "pending":
        raise Conflict(f"This order is {order.status}", field="order", order_status=order.status)
    done = services.complete_order(db, request.registry.settings, order.id, provider_ref="caisse")
    if not done:
        raise Conflict(order.reason or "This order cannot be completed", field="order")
    mails.after_completion(request, done)
    return _payload(order)


def refund(request, db, event_id, reference, reason: str) -> dict | None:
    order = _own(db, event_id, reference)
    if order is None:
        return None
    services.refund(db, order, reason=reason or "sale cancelled at the cash desk")
    return _payload(order)


def desk_order(dbsession, request, event_id, action, reference, query):
    if action == "find":
        return find(dbsession, event_id, query)
    if action == "pay":
        return pay(request, dbsession, event_id, reference)
    if action == "refund":
        return refund(request, dbsession, event_id, reference, query)
    return None
