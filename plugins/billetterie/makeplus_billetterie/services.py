"""Billetterie: domain functions (a db session in, plugin_api errors out).

Stock: ``TicketType.taken`` counts reserved seats (pending orders) plus issued
tickets. A reservation is one conditional ``UPDATE … SET taken = taken + n WHERE
quantity IS NULL OR taken + n <= quantity``: the database decides, so concurrent
buyers in any number of processes never oversell (a CHECK constraint backs it up).
A pending order that is not paid by ``expires_at`` gives its seats back
(:func:`release_expired`, run before each checkout of the event).

Completion (:func:`complete_order`) locks the order row and does nothing when it is
already paid: whoever completes first (the buyer's confirm, Stripe's webhook, a
retry) issues the tickets; the others see ``paid``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import hashlib
import re
import secrets
import uuid

import sqlalchemy as sa
from zope.sqlalchemy import mark_changed

from makeplus_core.plugin_api import (
    Conflict,
    Event,
    Forbidden,
    Invalid,
    NotFound,
    Participant,
    Room,
    Session,
    User,
    dialect_insert,
    enrolment,
    utcnow,
)

from .models import Counter, Order, Refund, Ticket, TicketType, Transfer

ZERO = decimal.Decimal("0.00")
CENT = decimal.Decimal("0.01")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULTS = {
    "reservation_minutes": 15,
    "onsite_hold_hours": 72,
    "providers": "test onsite",
    "invoice_prefix": "INV",
}
LIVE_TICKET = ("valid",)


def setting(settings, name):
    return settings.get(f"makeplus.billetterie.{name}", DEFAULTS.get(name))


def enabled_providers(settings) -> list[str]:
    """The providers listed in ``makeplus.billetterie.providers``; Stripe only with its secret key."""
    names = str(setting(settings, "providers") or "").split()
    return [n for n in names if n in ("test", "onsite", "stripe") and (n != "stripe" or setting(settings, "stripe.secret_key"))]


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_email(value, field="email") -> str:
    email = (value or "").strip().lower() if isinstance(value, str) else ""
    if not email or len(email) > 254 or not EMAIL_RE.match(email):
        raise Invalid(f"{field}: enter a valid e-mail address", field=field)
    return email


def _lock(db, stmt):
    return db.execute(stmt.with_for_update().execution_options(populate_existing=True))


def _uuid(value, field):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Invalid(f"{field}: not a valid id", field=field) from None


# --------------------------------------------------------------------------- ticket types


def _ids_in_event(db, model, values, event_id, field, extra=None):
    if values is None:
        return []
    if not isinstance(values, list):
        raise Invalid(f"{field}: a list of ids", field=field)
    ids = []
    for v in values:
        ids.append(_uuid(v, field))
    ids = sorted(set(ids), key=str)
    if ids:
        stmt = sa.select(model.id).where(model.id.in_(ids), model.event_id == event_id)
        if extra is not None:
            stmt = stmt.where(extra)
        found = set(db.scalars(stmt))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(f"{field}: {missing[0]} not found in this event", field=field)
    return [str(i) for i in ids]


def _check_type_fields(db, event_id, data: dict, obj: TicketType | None = None) -> dict:
    out = dict(data)
    if "currency" in out:
        cur = (out["currency"] or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", cur):
            raise Invalid("currency: an ISO 4217 code such as DZD or EUR", field="currency")
        out["currency"] = cur
    if "room_ids" in out:
        out["room_ids"] = _ids_in_event(db, Room, out["room_ids"], event_id, "room_ids")
    if "session_ids" in out:
        out["session_ids"] = _ids_in_event(db, Session, out["session_ids"], event_id, "session_ids",
                                           extra=Session.is_paid.is_(True))
    if "upgradable_to" in out:
        ids = _ids_in_event(db, TicketType, out["upgradable_to"], event_id, "upgradable_to")
        if obj is not None and str(obj.id) in ids:
            raise Invalid("upgradable_to: a type cannot be upgraded to itself", field="upgradable_to")
        out["upgradable_to"] = ids
    start = out.get("sale_start", obj.sale_start if obj else None)
    end = out.get("sale_end", obj.sale_end if obj else None)
    if start and end and end <= start:
        raise Invalid("sale_end: must be after sale_start", field="sale_end")
    if "quantity" in out and obj is not None and out["quantity"] is not None and out["quantity"] < obj.taken:
        raise Conflict(f"quantity: {obj.taken} tickets are already sold or reserved", field="quantity")
    name = out.get("name")
    if name is not None:
        clash = sa.select(TicketType.id).where(TicketType.event_id == event_id, TicketType.name == name)
        if obj is not None:
            clash = clash.where(TicketType.id != obj.id)
        if db.scalar(clash) is not None:
            raise Conflict("name: a ticket type with this name exists in this event", field="name")
    return out


def create_type(db, event_id, data: dict) -> TicketType:
    data = _check_type_fields(db, event_id, data)
    obj = TicketType(event_id=event_id, **data)
    db.add(obj)
    db.flush()
    return obj


def update_type(db, obj: TicketType, data: dict) -> TicketType:
    data = _check_type_fields(db, obj.event_id, data, obj)
    for key, value in data.items():
        setattr(obj, key, value)
    db.flush()
    return obj


def delete_type(db, obj: TicketType) -> None:
    if db.scalar(sa.select(Ticket.id).where(Ticket.ticket_type_id == obj.id).limit(1)) is not None:
        raise Conflict("This ticket type has tickets: hide it instead (is_visible false)", field="id")
    db.delete(obj)
    db.flush()


def types_query(event_id, public=False):
    stmt = sa.select(TicketType).where(TicketType.event_id == event_id)
    if public:
        stmt = stmt.where(TicketType.is_visible.is_(True))
    return stmt.order_by(TicketType.price, TicketType.name, TicketType.id)


def _unreleased_expired(db, type_ids, now) -> dict:
    """Seats still counted in ``taken`` by orders already expired (released lazily)."""
    if not type_ids:
        return {}
    rows = db.execute(sa.select(Ticket.ticket_type_id, sa.func.count())
                      .join(Order, Order.id == Ticket.order_id)
                      .where(Ticket.ticket_type_id.in_(type_ids), Order.status == "pending",
                             Order.released.is_(False), Order.kind == "purchase", Order.expires_at < now)
                      .group_by(Ticket.ticket_type_id)).all()
    return dict(rows)


def remaining(db, types) -> dict:
    now = utcnow()
    stale = _unreleased_expired(db, [t.id for t in types if t.quantity is not None], now)
    return {t.id: (None if t.quantity is None else max(0, t.quantity - t.taken + stale.get(t.id, 0)))
            for t in types}


def on_sale(t: TicketType, now) -> bool:
    return t.is_visible and (t.sale_start is None or t.sale_start <= now) and (t.sale_end is None or now < t.sale_end)


def serialize_types(db, types, public=False) -> list[dict]:
    left = remaining(db, types)
    now = utcnow()
    out = []
    for t in types:
        row = {"id": str(t.id), "event": str(t.event_id), "name": t.name, "description": t.description,
               "price": t.price, "currency": t.currency, "quantity": t.quantity, "remaining": left[t.id],
               "per_order_limit": t.per_order_limit, "sale_start": t.sale_start, "sale_end": t.sale_end,
               "on_sale": on_sale(t, now) and left[t.id] != 0, "transferable": t.transferable,
               "room_ids": list(t.room_ids or []), "session_ids": list(t.session_ids or []),
               "upgradable_to": list(t.upgradable_to or [])}
        if not public:
            row.update(is_visible=t.is_visible, taken=t.taken, created_at=t.created_at, updated_at=t.updated_at)
        out.append(row)
    return out


# --------------------------------------------------------------------------- public event


def public_event(db, raw_id) -> Event:
    """An event the shop may show: exists, active, not archived (else 404)."""
    try:
        event_id = uuid.UUID(str(raw_id))
    except (TypeError, ValueError):
        raise NotFound("Event not found", field="event") from None
    event = db.get(Event, event_id)
    if event is None or not event.is_active or event.archived_at is not None:
        raise NotFound("Event not found", field="event")
    return event


def public_config(event: Event, settings, types_on_sale: int) -> dict:
    return {"id": str(event.id), "name": event.name, "description": event.description,
            "location": event.location, "start_date": event.start_date, "end_date": event.end_date,
            "timezone": event.timezone, "status": event.status, "organizer_name": event.organizer_name,
            "primary_color": event.primary_color, "themes": list(event.themes or []),
            "ticket_sales_open": types_on_sale > 0, "payment_providers": enabled_providers(settings),
            "stripe_publishable_key": setting(settings, "stripe.publishable_key") or None}


def public_schedule(db, event: Event) -> dict:
    rooms = list(db.scalars(sa.select(Room).where(Room.event_id == event.id).order_by(Room.name, Room.id)))
    sessions = list(db.scalars(sa.select(Session).where(Session.event_id == event.id,
                                                        Session.status != "cancelled")
                               .order_by(Session.start_time, Session.id)))
    return {
        "event": str(event.id),
        "rooms": [{"id": str(r.id), "name": r.name, "capacity": r.capacity} for r in rooms],
        "sessions": [{"id": str(s.id), "title": s.title, "description": s.description,
                      "speaker": s.speaker_name or "", "room": str(s.room_id) if s.room_id else None,
                      "start_time": s.start_time, "end_time": s.end_time, "session_type": s.session_type,
                      "is_paid": s.is_paid, "price": s.price if s.is_paid else None, "status": s.status}
                     for s in sessions],
    }


# --------------------------------------------------------------------------- orders: checkout


def release_expired(db, event_id=None, limit=200) -> int:
    """Expire unpaid orders past ``expires_at`` and give their seats back. Returns how many."""
    now = utcnow()
    stmt = (sa.select(Order).where(Order.status == "pending", Order.released.is_(False), Order.expires_at < now)
            .order_by(Order.expires_at).limit(limit))
    if event_id is not None:
        stmt = stmt.where(Order.event_id == event_id)
    orders = list(db.execute(stmt.with_for_update(skip_locked=True)
                             .execution_options(populate_existing=True)).scalars())
    for order in orders:
        _release(db, order, "expired")
    return len(orders)


def _release(db, order: Order, status: str) -> None:
    """A pending order ends unpaid: its seats go back to stock, its tickets are cancelled."""
    order.status = status
    if not order.released and order.kind == "purchase":
        counts = dict(db.execute(sa.select(Ticket.ticket_type_id, sa.func.count()).where(Ticket.order_id == order.id)
                                 .group_by(Ticket.ticket_type_id)).all())
        for type_id, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
            db.execute(sa.update(TicketType).where(TicketType.id == type_id)
                       .values(taken=TicketType.taken - n).execution_options(synchronize_session=False))
        db.execute(sa.update(Ticket).where(Ticket.order_id == order.id, Ticket.status == "reserved")
                   .values(status="cancelled", status_reason=status, updated_at=utcnow())
                   .execution_options(synchronize_session=False))
    order.released = True
    db.flush()
    mark_changed(db)


def reserve(db, type_id, n: int) -> bool:
    """Take ``n`` seats of a type in one conditional UPDATE; False when not enough are left."""
    result = db.execute(sa.update(TicketType)
                        .where(TicketType.id == type_id,
                               sa.or_(TicketType.quantity.is_(None), TicketType.taken + n <= TicketType.quantity))
                        .values(taken=TicketType.taken + n).execution_options(synchronize_session=False))
    mark_changed(db)
    return result.rowcount == 1


def _holders_with_tickets(db, event_id, emails) -> set:
    if not emails:
        return set()
    return set(db.scalars(sa.select(Ticket.attendee_email).join(Order, Order.id == Ticket.order_id)
                          .where(Ticket.event_id == event_id, Ticket.attendee_email.in_(emails),
                                 sa.or_(Ticket.status == "valid",
                                        sa.and_(Ticket.status == "reserved", Order.status == "pending",
                                                Order.expires_at >= utcnow())))))


def parse_items(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise Invalid("items: order at least one ticket", field="items")
    if len(raw) > 50:
        raise Invalid("items: at most 50 tickets per order", field="items")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Invalid(f"items[{i}]: an object with ticket_type and attendee", field="items")
        attendee = item.get("attendee") or {}
        if not isinstance(attendee, dict):
            raise Invalid(f"items[{i}].attendee: an object with name and email", field="items")
        name = attendee.get("name") if isinstance(attendee.get("name"), str) else ""
        name = name.strip()
        if not name or len(name) > 300:
            raise Invalid(f"items[{i}].attendee.name: required (at most 300 characters)", field="items")
        email = normalize_email(attendee.get("email"), "items")
        out.append({"ticket_type": _uuid(item.get("ticket_type"), "items"), "name": name, "email": email})
    emails = [i["email"] for i in out]
    if len(set(emails)) != len(emails):
        raise Invalid("items: each attendee needs their own e-mail (one badge QR per person)", field="items")
    return out


def create_order(db, settings, event: Event, *, items, provider: str, buyer_user=None, buyer_email=None,
                 buyer_name="", idempotency_key=None) -> tuple[Order, str | None, bool]:
    """Reserve the seats and create a pending order. Returns ``(order, guest_token, replayed)``.

    ``guest_token`` (guests only) lets the buyer confirm and read this order without an
    account; only its hash is stored.
    """
    if provider not in enabled_providers(settings) or provider == "comp":
        raise Invalid(f"provider: one of {', '.join(enabled_providers(settings))}", field="provider")
    if buyer_user is not None:
        buyer_email = buyer_user.email
        buyer_name = buyer_name or buyer_user.full_name
    else:
        buyer_email = normalize_email(buyer_email, "buyer.email")
    if idempotency_key:
        previous = db.scalar(sa.select(Order).where(Order.event_id == event.id, Order.buyer_email == buyer_email,
                                                    Order.idempotency_key == idempotency_key))
        if previous is not None:
            return previous, None, True
    parsed = parse_items(items)
    release_expired(db, event.id)
    type_ids = sorted({i["ticket_type"] for i in parsed}, key=str)
    types = {t.id: t for t in db.scalars(sa.select(TicketType).where(TicketType.id.in_(type_ids)))}
    now = utcnow()
    currency = None
    for tid in type_ids:
        t = types.get(tid)
        if t is None or t.event_id != event.id:
            raise NotFound(f"items: ticket type {tid} not found", field="items")
        if not on_sale(t, now):
            raise Conflict(f"items: « {t.name} » is not on sale", field="items", ticket_type=str(tid))
        n = sum(1 for i in parsed if i["ticket_type"] == tid)
        if n > t.per_order_limit:
            raise Invalid(f"items: at most {t.per_order_limit} « {t.name} » per order", field="items")
        if currency not in (None, t.currency):
            raise Invalid("items: one currency per order", field="items")
        currency = t.currency
    taken = _holders_with_tickets(db, event.id, [i["email"] for i in parsed])
    if taken:
        raise Conflict(f"items: {sorted(taken)[0]} already holds a ticket for this event", field="items",
                       code_detail="already_ticketed")
    for tid in type_ids:  # id order: concurrent orders never deadlock
        n = sum(1 for i in parsed if i["ticket_type"] == tid)
        if not reserve(db, tid, n):
            raise Conflict(f"items: « {types[tid].name} » is sold out", field="items", ticket_type=str(tid),
                           code_detail="sold_out")
    total = sum((types[i["ticket_type"]].price for i in parsed), ZERO).quantize(CENT)
    hold = (dt.timedelta(hours=int(setting(settings, "onsite_hold_hours"))) if provider == "onsite"
            else dt.timedelta(minutes=int(setting(settings, "reservation_minutes"))))
    token = None if buyer_user is not None else secrets.token_urlsafe(24)
    order = Order(event_id=event.id, kind="purchase", buyer_user_id=buyer_user.id if buyer_user else None,
                  buyer_email=buyer_email, buyer_name=(buyer_name or "")[:300], status="pending", provider=provider,
                  currency=currency, total=total, created_at=now, expires_at=now + hold,
                  idempotency_key=idempotency_key or None, created_by_id=buyer_user.id if buyer_user else None)
    order.guest_token_hash = hash_code(token) if token else None
    db.add(order)
    db.flush()
    for i in parsed:
        db.add(Ticket(event_id=event.id, order_id=order.id, ticket_type_id=i["ticket_type"],
                      attendee_name=i["name"], attendee_email=i["email"], status="reserved",
                      price=types[i["ticket_type"]].price))
    db.flush()
    return order, token, False


# --------------------------------------------------------------------------- orders: completion


def next_invoice_number(db, settings, event_id) -> str:
    """The event's next invoice number (gap-free: one counter row per event, created with
    ``INSERT … ON CONFLICT DO NOTHING`` then locked, so concurrent payments queue on it)."""
    db.execute(dialect_insert(db, Counter).values(event_id=event_id, last_invoice=0)
               .on_conflict_do_nothing(index_elements=["event_id"]))
    row = _lock(db, sa.select(Counter).where(Counter.event_id == event_id)).scalar_one()
    row.last_invoice += 1
    db.flush()
    year = utcnow().year
    return f"{setting(settings, 'invoice_prefix')}-{year}-{row.last_invoice:06d}"


def lock_order(db, order_id) -> Order | None:
    return _lock(db, sa.select(Order).where(Order.id == order_id)).scalar_one_or_none()


class Completion:
    """What a completion did, for the caller to mail after commit."""

    def __init__(self, order):
        self.order = order
        self.done = False
        self.invitations = []  # (user, code)
        self.tickets = []

    def __bool__(self):
        return self.done


def complete_order(db, settings, order_id, *, provider_ref=None, by_user_id=None) -> Completion:
    """Mark an order paid and issue its tickets, exactly once (the order row is locked)."""
    order = lock_order(db, order_id)
    result = Completion(order)
    if order is None or order.status in ("paid", "refunded", "partially_refunded", "cancelled"):
        return result
    if order.released and order.kind == "purchase":
        # Paid after its reservation expired (a slow card): take the seats again if any are left.
        counts = dict(db.execute(sa.select(Ticket.ticket_type_id, sa.func.count())
                                 .where(Ticket.order_id == order.id).group_by(Ticket.ticket_type_id)).all())
        for type_id, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
            if not reserve(db, type_id, n):
                order.status = "cancelled"
                order.reason = "paid after its reservation expired and the tickets were sold out: refund due"
                db.flush()
                return result
        order.released = False
        db.execute(sa.update(Ticket).where(Ticket.order_id == order.id).values(status="reserved")
                   .execution_options(synchronize_session=False))
    elif order.released and order.kind == "upgrade":
        if not reserve(db, order.upgrade_type_id, 1):
            order.status = "cancelled"
            order.reason = "paid after its reservation expired and the new type was sold out: refund due"
            db.flush()
            return result
        order.released = False
    now = utcnow()
    event = db.get(Event, order.event_id)
    order.status = "paid"
    order.paid_at = now
    if provider_ref:
        order.provider_ref = provider_ref
    order.invoice_number = next_invoice_number(db, settings, order.event_id)
    if order.kind == "upgrade":
        _apply_upgrade(db, order, by_user_id)
    else:
        tickets = list(db.execute(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
                                  .execution_options(populate_existing=True)).scalars())
        for ticket in tickets:
            code = issue_ticket(db, event, ticket, by_user_id)
            if code:
                result.invitations.append((ticket.holder_user_id, code))
            result.tickets.append(ticket)
            if ticket.attendee_email == order.buyer_email and order.buyer_user_id is None:
                order.buyer_user_id = ticket.holder_user_id  # the buyer is an attendee: one account, one mail
    if order.buyer_user_id is None:  # a guest buying for others: the account by the enrolment rule
        user, code, _ = _account_for(db, event, order.buyer_email, order.buyer_name)
        order.buyer_user_id = user.id
        if code:
            result.invitations.append((user.id, code))
    db.flush()
    result.done = True
    return result


def _account_for(db, event, email, name):
    """The account of an e-mail by the core's enrolment rule (invitation when unverified/new)."""
    from makeplus_core.plugin_api import invitations

    first, _, last = (name or "").partition(" ")
    user, code, created = invitations.enrol_by_email(db, email, {"first_name": first, "last_name": last},
                                                     event=event)
    return user, code, created


def issue_ticket(db, event, ticket: Ticket, by_user_id=None) -> str | None:
    """The attendee becomes a participant; the ticket is valid; included ateliers paid."""
    first, _, last = ticket.attendee_name.partition(" ")
    user, participant, code, _ = enrolment.enrol_participant(
        db, event, ticket.attendee_email, {"first_name": first, "last_name": last}, invited_by_id=by_user_id)
    ticket.holder_user_id = user.id
    ticket.status = "valid"
    ticket.issued_at = utcnow()
    _grant_sessions(db, participant, db.get(TicketType, ticket.ticket_type_id), by_user_id)
    db.flush()
    return code


def _grant_sessions(db, participant, ttype: TicketType, by_user_id=None):
    if participant is None or not ttype.session_ids:
        return
    for s in db.scalars(sa.select(Session).where(Session.id.in_([uuid.UUID(x) for x in ttype.session_ids]),
                                                 Session.event_id == participant.event_id)):
        enrolment.grant_paid_access(db, participant, s, ZERO, granted_by_id=by_user_id)


def _revoke_sessions(db, user_id, event_id, ttype: TicketType):
    if user_id is None or not ttype.session_ids:
        return
    pid = db.scalar(sa.select(Participant.id).where(Participant.user_id == user_id, Participant.event_id == event_id))
    if pid is not None:
        enrolment.revoke_paid_access(db, pid, [uuid.UUID(x) for x in ttype.session_ids])


def _participant(db, user_id, event_id):
    return db.scalar(sa.select(Participant).where(Participant.user_id == user_id, Participant.event_id == event_id))


def fail_order(db, order_id, reason="payment_failed") -> Order | None:
    """A payment failed: the order ends and its seats go back (a paid order is never touched)."""
    order = lock_order(db, order_id)
    if order is None or order.status != "pending":
        return order
    order.reason = reason
    _release(db, order, "failed")
    return order


def cancel_order(db, order: Order) -> Order:
    order = lock_order(db, order.id)
    if order.status != "pending":
        raise Conflict(f"Only a pending order can be cancelled (this one is {order.status})", field="status")
    _release(db, order, "cancelled")
    return order


# --------------------------------------------------------------------------- refunds


def refund(db, order: Order, *, amount=None, ticket_id=None, reason: str, by_user_id=None,
           provider_ref=None) -> Refund:
    """Record a refund of ``order`` (whole order, or one ticket, full or partial).

    Refunded tickets (a full refund of the order or of the ticket's price) stop
    opening doors and lose their included ateliers.
    """
    order = lock_order(db, order.id)
    if order.status not in ("paid", "partially_refunded"):
        raise Conflict(f"Only a paid order can be refunded (this one is {order.status})", field="order")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason: required", field="reason")
    left = (order.total - order.refunded_amount).quantize(CENT)
    tickets = list(db.execute(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.id)
                              .execution_options(populate_existing=True)).scalars())
    target = None
    if ticket_id is not None:
        target = next((t for t in tickets if str(t.id) == str(ticket_id)), None)
        if target is None:
            raise NotFound("ticket: not in this order", field="ticket")
        if target.status != "valid":
            raise Conflict(f"ticket: this ticket is {target.status}", field="ticket")
        default = min(target.price - target.refunded_amount, left)
    else:
        default = left
    amount = default if amount is None else decimal.Decimal(str(amount)).quantize(CENT)
    free = order.total == 0 and amount == 0  # a comp (free) order: the refund revokes its tickets
    if (amount <= 0 and not free) or amount > left or (target is not None and amount > target.price - target.refunded_amount):
        raise Invalid(f"amount: between 0.01 and {default}", field="amount")
    row = Refund(order_id=order.id, ticket_id=target.id if target else None, amount=amount, reason=reason,
                 provider_ref=provider_ref, created_by_id=by_user_id)
    db.add(row)
    order.refunded_amount = (order.refunded_amount + amount).quantize(CENT)
    others_valid = any(t.status == "valid" and t is not target for t in tickets)
    order.status = ("refunded" if order.refunded_amount >= order.total and (target is None or not others_valid)
                    else "partially_refunded")
    affected = []
    if target is not None:
        target.refunded_amount = (target.refunded_amount + amount).quantize(CENT)
        if target.refunded_amount >= target.price:
            affected = [target]
    elif order.status == "refunded":
        affected = [t for t in tickets if t.status == "valid"]
    for t in affected:
        t.status = "refunded"
        t.status_reason = reason
        db.execute(sa.update(TicketType).where(TicketType.id == t.ticket_type_id)
                   .values(taken=TicketType.taken - 1).execution_options(synchronize_session=False))
        _revoke_sessions(db, t.holder_user_id, order.event_id, db.get(TicketType, t.ticket_type_id))
    db.flush()
    mark_changed(db)
    return row


def apply_provider_refund(db, order_id, refunded_total, provider_ref) -> Order | None:
    """Stripe says the charge has ``refunded_total`` refunded in all: record what is new."""
    order = lock_order(db, order_id)
    if order is None or order.status not in ("paid", "partially_refunded"):
        return order
    new = (decimal.Decimal(refunded_total) - order.refunded_amount).quantize(CENT)
    if new > 0:
        refund(db, order, amount=min(new, order.total - order.refunded_amount), reason="Refunded in Stripe",
               provider_ref=provider_ref)
    return order


# --------------------------------------------------------------------------- comp tickets


def comp(db, settings, event: Event, ttype: TicketType, attendees, reason: str, by_user_id) -> Completion:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("reason: required", field="reason")
    parsed = parse_items([{"ticket_type": str(ttype.id), "attendee": a} for a in (attendees or [])]
                         if isinstance(attendees, list) else attendees)
    taken = _holders_with_tickets(db, event.id, [i["email"] for i in parsed])
    if taken:
        raise Conflict(f"attendees: {sorted(taken)[0]} already holds a ticket for this event", field="attendees")
    if not reserve(db, ttype.id, len(parsed)):
        raise Conflict(f"« {ttype.name} » is sold out", field="ticket_type", code_detail="sold_out")
    by = db.get(User, by_user_id)
    order = Order(event_id=event.id, kind="comp", buyer_user_id=by_user_id, buyer_email=by.email if by else "",
                  buyer_name=by.full_name if by else "", status="pending", provider="comp",
                  currency=ttype.currency, total=ZERO, reason=reason, created_by_id=by_user_id)
    db.add(order)
    db.flush()
    for i in parsed:
        db.add(Ticket(event_id=event.id, order_id=order.id, ticket_type_id=ttype.id, attendee_name=i["name"],
                      attendee_email=i["email"], status="reserved", price=ZERO, status_reason=reason))
    db.flush()
    return complete_order(db, settings, order.id, by_user_id=by_user_id)


# --------------------------------------------------------------------------- transfers


def offer_transfer(db, ticket: Ticket, from_user_id, email, name="") -> tuple[Transfer, str]:
    ticket = _lock(db, sa.select(Ticket).where(Ticket.id == ticket.id)).scalar_one()
    if ticket.status != "valid":
        raise Conflict(f"ticket: this ticket is {ticket.status}", field="ticket")
    ttype = db.get(TicketType, ticket.ticket_type_id)
    if not ttype.transferable:
        raise Forbidden("This ticket type cannot be transferred", field="ticket")
    email = normalize_email(email)
    if email == ticket.attendee_email:
        raise Invalid("email: this is the holder's own address", field="email")
    if db.scalar(sa.select(Transfer.id).where(Transfer.ticket_id == ticket.id, Transfer.status == "pending")):
        raise Conflict("ticket: a transfer of this ticket is already pending (cancel it first)", field="ticket")
    code = secrets.token_urlsafe(24)
    obj = Transfer(event_id=ticket.event_id, ticket_id=ticket.id, from_user_id=from_user_id, to_email=email,
                   to_name=(name or "").strip()[:300], code_hash=hash_code(code))
    db.add(obj)
    db.flush()
    return obj, code


def cancel_transfer(db, transfer: Transfer) -> Transfer:
    transfer = _lock(db, sa.select(Transfer).where(Transfer.id == transfer.id)).scalar_one()
    if transfer.status != "pending":
        raise Conflict(f"This transfer is already {transfer.status}", field="id")
    transfer.status = "cancelled"
    transfer.decided_at = utcnow()
    db.flush()
    return transfer


def accept_transfer(db, code: str, user=None) -> tuple[Ticket, str | None]:
    """The recipient accepts: the old holder's ticket ends (``transferred``), a new valid
    ticket is issued to the recipient. Returns ``(new ticket, invitation code or None)``."""
    if not isinstance(code, str) or not code.strip():
        raise Invalid("code: required", field="code")
    transfer = _lock(db, sa.select(Transfer).where(Transfer.code_hash == hash_code(code.strip()))).scalar_one_or_none()
    if transfer is None or transfer.status != "pending":
        raise NotFound("code: this transfer link is invalid, cancelled or already used", field="code")
    if user is not None and user.email != transfer.to_email:
        raise Forbidden("This transfer was offered to another e-mail address", field="code")
    old = _lock(db, sa.select(Ticket).where(Ticket.id == transfer.ticket_id)).scalar_one()
    if old.status != "valid":
        raise Conflict(f"ticket: this ticket is now {old.status}", field="code")
    event = db.get(Event, old.event_id)
    if _holders_with_tickets(db, event.id, [transfer.to_email]):
        raise Conflict("You already hold a ticket for this event", field="code")
    ttype = db.get(TicketType, old.ticket_type_id)
    old.status = "transferred"
    old.status_reason = f"transferred to {transfer.to_email}"
    _revoke_sessions(db, old.holder_user_id, old.event_id, ttype)
    new = Ticket(event_id=old.event_id, order_id=old.order_id, ticket_type_id=old.ticket_type_id,
                 attendee_name=transfer.to_name or transfer.to_email, attendee_email=transfer.to_email,
                 status="reserved", price=old.price, status_reason=f"transferred from {old.attendee_email}")
    db.add(new)
    db.flush()
    code_out = issue_ticket(db, event, new)
    transfer.status = "accepted"
    transfer.to_user_id = new.holder_user_id
    transfer.decided_at = utcnow()
    db.flush()
    return new, code_out


# --------------------------------------------------------------------------- upgrades


def upgrade_target(db, ticket: Ticket, to_type_id, staff=False) -> TicketType:
    if ticket.status != "valid":
        raise Conflict(f"ticket: this ticket is {ticket.status}", field="ticket")
    current = db.get(TicketType, ticket.ticket_type_id)
    target = db.get(TicketType, _uuid(to_type_id, "to_type"))
    if target is None or target.event_id != ticket.event_id or target.id == current.id:
        raise NotFound("to_type: ticket type not found", field="to_type")
    if not staff and str(target.id) not in (current.upgradable_to or []):
        raise Forbidden(f"to_type: « {current.name} » cannot be upgraded to « {target.name} »", field="to_type")
    if target.currency != current.currency:
        raise Invalid("to_type: another currency", field="to_type")
    if target.price < ticket.price:
        raise Invalid("to_type: an upgrade goes to a type of higher price", field="to_type")
    return target


def create_upgrade(db, settings, ticket: Ticket, target: TicketType, provider: str, buyer, by_user_id=None,
                   free=False) -> Order:
    """A pending upgrade order for the price difference (the seat of the new type is taken now)."""
    if provider not in enabled_providers(settings) and provider != "comp":
        raise Invalid(f"provider: one of {', '.join(enabled_providers(settings))}", field="provider")
    if db.scalar(sa.select(Order.id).where(Order.upgrade_ticket_id == ticket.id, Order.status == "pending")):
        raise Conflict("ticket: an upgrade of this ticket is already pending", field="ticket")
    if not reserve(db, target.id, 1):
        raise Conflict(f"to_type: « {target.name} » is sold out", field="to_type", code_detail="sold_out")
    diff = ZERO if free else (target.price - ticket.price).quantize(CENT)
    now = utcnow()
    order = Order(event_id=ticket.event_id, kind="upgrade", buyer_user_id=buyer.id, buyer_email=buyer.email,
                  buyer_name=buyer.full_name, status="pending", provider=provider, currency=target.currency,
                  total=diff, upgrade_ticket_id=ticket.id, upgrade_type_id=target.id, created_at=now,
                  expires_at=now + dt.timedelta(minutes=int(setting(settings, "reservation_minutes"))),
                  created_by_id=by_user_id)
    db.add(order)
    db.flush()
    return order


def _apply_upgrade(db, order: Order, by_user_id=None) -> None:
    ticket = _lock(db, sa.select(Ticket).where(Ticket.id == order.upgrade_ticket_id)).scalar_one()
    old_type = db.get(TicketType, ticket.ticket_type_id)
    new_type = db.get(TicketType, order.upgrade_type_id)
    db.execute(sa.update(TicketType).where(TicketType.id == old_type.id).values(taken=TicketType.taken - 1)
               .execution_options(synchronize_session=False))
    ticket.ticket_type_id = new_type.id
    ticket.price = (ticket.price + order.total).quantize(CENT)
    ticket.status_reason = f"upgraded from {old_type.name}"
    participant = _participant(db, ticket.holder_user_id, ticket.event_id)
    _grant_sessions(db, participant, new_type, by_user_id)
    mark_changed(db)


def release_upgrade(db, order: Order, status: str) -> None:
    """An unpaid upgrade gives back the seat it took."""
    order.status = status
    if not order.released:
        db.execute(sa.update(TicketType).where(TicketType.id == order.upgrade_type_id)
                   .values(taken=TicketType.taken - 1).execution_options(synchronize_session=False))
    order.released = True
    db.flush()
    mark_changed(db)


# --------------------------------------------------------------------------- reading


def my_tickets_query(user_id, event_id):
    return (sa.select(Ticket).where(Ticket.holder_user_id == user_id, Ticket.event_id == event_id)
            .order_by(Ticket.issued_at.desc(), Ticket.id))


def serialize_tickets(db, tickets, with_qr=False) -> list[dict]:
    type_ids = {t.ticket_type_id for t in tickets}
    types = {t.id: t for t in db.scalars(sa.select(TicketType).where(TicketType.id.in_(type_ids)))} if type_ids else {}
    out = []
    holders = {}
    if with_qr:
        ids = {t.holder_user_id for t in tickets if t.holder_user_id}
        holders = {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    for t in tickets:
        ttype = types.get(t.ticket_type_id)
        row = {"id": str(t.id), "event": str(t.event_id), "order": str(t.order_id),
               "ticket_type": {"id": str(ttype.id), "name": ttype.name} if ttype else None,
               "attendee_name": t.attendee_name, "attendee_email": t.attendee_email, "status": t.status,
               "status_reason": t.status_reason, "price": t.price, "currency": ttype.currency if ttype else None,
               "refunded_amount": t.refunded_amount, "issued_at": t.issued_at,
               "room_ids": list(ttype.room_ids or []) if ttype else [],
               "session_ids": list(ttype.session_ids or []) if ttype else [],
               "transferable": bool(ttype and ttype.transferable and t.status == "valid"),
               "upgradable_to": list(ttype.upgradable_to or []) if ttype else []}
        if with_qr:
            from makeplus_core.plugin_api import badges

            user = holders.get(t.holder_user_id)
            row["qr_code_data"] = badges.qr_payload_string(user) if user and t.status == "valid" else None
        out.append(row)
    return out


def orders_query(event_id, *, buyer_user_id=None, q=None, status=None):
    stmt = sa.select(Order).where(Order.event_id == event_id)
    if buyer_user_id is not None:
        stmt = stmt.where(Order.buyer_user_id == buyer_user_id)
    if status:
        stmt = stmt.where(Order.status == status)
    if q:
        like = f"%{q.lower()}%"
        sub = sa.select(Ticket.order_id).where(sa.or_(sa.func.lower(Ticket.attendee_email).like(like),
                                                      sa.func.lower(Ticket.attendee_name).like(like)))
        stmt = stmt.where(sa.or_(sa.func.lower(Order.buyer_email).like(like),
                                 sa.func.lower(Order.buyer_name).like(like),
                                 sa.func.lower(sa.func.coalesce(Order.invoice_number, "")).like(like),
                                 Order.id.in_(sub)))
    return stmt.order_by(Order.created_at.desc(), Order.id)


def serialize_orders(db, orders, with_tickets=False) -> list[dict]:
    tickets = {}
    if with_tickets and orders:
        for t in db.scalars(sa.select(Ticket).where(Ticket.order_id.in_([o.id for o in orders]))
                            .order_by(Ticket.created_at, Ticket.id)):
            tickets.setdefault(t.order_id, []).append(t)
    out = []
    for o in orders:
        row = {"id": str(o.id), "event": str(o.event_id), "kind": o.kind, "status": o.status,
               "provider": o.provider, "currency": o.currency, "total": o.total,
               "refunded_amount": o.refunded_amount, "buyer_email": o.buyer_email, "buyer_name": o.buyer_name,
               "invoice_number": o.invoice_number, "created_at": o.created_at, "expires_at": o.expires_at,
               "paid_at": o.paid_at, "reason": o.reason}
        if with_tickets:
            row["tickets"] = serialize_tickets(db, tickets.get(o.id, []))
        out.append(row)
    return out


# --------------------------------------------------------------------------- the door


DOOR_REASONS = {
    "refunded": (403, "ticket_refunded", "This ticket was refunded"),
    "transferred": (403, "ticket_transferred", "This ticket was transferred to someone else"),
    "reserved": (402, "ticket_unpaid", "This ticket is not paid"),
    "cancelled": (402, "ticket_unpaid", "This ticket's order was not paid"),
}


@functools.cache
def _door_tickets_statement():
    """The holder's tickets for the event at every scan: built once, only the parameters change."""
    return (sa.select(Ticket.status, TicketType.room_ids)
            .join(TicketType, TicketType.id == Ticket.ticket_type_id)
            .where(Ticket.holder_user_id == sa.bindparam("user_id", type_=sa.Integer),
                   Ticket.event_id == sa.bindparam("event_id", type_=Ticket.event_id.type)))


def door_denial(db, attempt):
    """``makeplus_check_access``: a holder who has tickets for the event needs a valid one,
    and a room door needs a ticket whose type includes the room (no rooms listed: all).

    People enrolled by the organiser without any ticket are not this plugin's business.
    """
    rows = db.execute(_door_tickets_statement(), {"user_id": attempt.user.id, "event_id": attempt.event_id}).all()
    if not rows:
        return None
    valid = [r for r in rows if r.status == "valid"]
    if not valid:
        order = ("refunded", "transferred", "reserved", "cancelled")
        worst = min((r.status for r in rows), key=lambda s: order.index(s) if s in order else 99)
        status, reason, message = DOOR_REASONS.get(worst, (403, "ticket_invalid", "No valid ticket"))
        return {"status": status, "reason": reason, "message": message, "layer": "billetterie"}
    if attempt.room is not None:
        room = str(attempt.room.id)
        if not any(not r.room_ids or room in r.room_ids for r in valid):
            return {"status": 403, "reason": "ticket_room_not_included", "layer": "billetterie",
                    "message": "This ticket does not include this room"}
    return None


# --------------------------------------------------------------------------- statistics, records


def event_statistics(db, event_id) -> dict:
    sold = dict(db.execute(sa.select(Ticket.status, sa.func.count()).where(Ticket.event_id == event_id)
                           .group_by(Ticket.status)).all())
    revenue = db.execute(sa.select(sa.func.coalesce(sa.func.sum(Order.total - Order.refunded_amount), 0))
                         .where(Order.event_id == event_id,
                                Order.status.in_(("paid", "partially_refunded", "refunded")))).scalar()
    return {"tickets_valid": sold.get("valid", 0), "tickets_refunded": sold.get("refunded", 0),
            "revenue": decimal.Decimal(revenue or 0).quantize(CENT)}


def order_count(db, event_id) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.event_id == event_id,
                                                                         Order.status != "expired"))
