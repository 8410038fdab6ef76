"""Caisse domain functions: desks, items (kept in step with paid ateliers), sales,
cancellations, searches and statistics. Plain functions over a SQLAlchemy session;
they raise :mod:`makeplus_core.errors` and never build HTTP answers, so the REST
views and the later point-of-sale pages share them.
"""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import (
    N_,
    Event,
    Participant,
    Room,
    Session,
    SessionAccess,
    User,
    UserEventAssignment,
    errors,
    event_modules,
    money,
    passwords,
    utcnow,
)

from .models import Caisse, Item, Transaction, TransactionItem

ZERO = decimal.Decimal("0.00")


def _uuid(value, field):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise errors.Invalid(f"{field}: not a valid id", field=field) from None


# --------------------------------------------------------------------------- caisses


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def create_caisse(db, event_id, data: dict, created_by_id=None) -> Caisse:
    email = normalize_email(data["email"])
    _check_email_free(db, email)
    caisse = Caisse(event_id=event_id, name=data["name"].strip(), email=email,
                    password_hash=passwords.hash_password(data["password"]),
                    is_active=data.get("is_active", True), created_by_id=created_by_id)
    db.add(caisse)
    db.flush()
    return caisse


def _check_email_free(db, email, except_id=None):
    stmt = sa.select(Caisse.id).where(Caisse.email == email)
    if except_id is not None:
        stmt = stmt.where(Caisse.id != except_id)
    if db.scalar(stmt) is not None:
        raise errors.Conflict("A caisse with this e-mail already exists", field="email")


def update_caisse(db, caisse: Caisse, changes: dict) -> Caisse:
    if "name" in changes:
        caisse.name = changes["name"].strip()
    if "email" in changes:
        email = normalize_email(changes["email"])
        if email != caisse.email:
            _check_email_free(db, email, caisse.id)
            caisse.email = email
    if "password" in changes:
        caisse.password_hash = passwords.hash_password(changes["password"])
        caisse.token_version += 1
    if "is_active" in changes and bool(changes["is_active"]) != caisse.is_active:
        caisse.is_active = bool(changes["is_active"])
        if not caisse.is_active:
            caisse.token_version += 1  # its open sessions stop at once
    db.flush()
    return caisse


def delete_caisse(db, caisse: Caisse) -> None:
    """Only a desk that never sold anything can be deleted (audit trail)."""
    used = db.scalar(sa.select(sa.func.count()).select_from(Transaction).where(
        sa.or_(Transaction.caisse_id == caisse.id, Transaction.cancelled_by_caisse_id == caisse.id)))
    if used:
        raise errors.Conflict("This caisse has transactions: deactivate it instead (is_active=false)")
    db.delete(caisse)
    db.flush()


def authenticate(db, email: str, password: str) -> Caisse:
    caisse = db.scalar(sa.select(Caisse).where(Caisse.email == normalize_email(email)))
    ok = passwords.verify_password(caisse.password_hash if caisse else None, password)
    if not ok or caisse is None or not caisse.is_active:
        raise errors.NotAuthenticated("No active caisse found with the given credentials")
    event = db.get(Event, caisse.event_id)
    if event is None or not event.is_active:
        raise errors.NotAuthenticated("No active caisse found with the given credentials")
    if passwords.needs_rehash(caisse.password_hash):
        caisse.password_hash = passwords.hash_password(password)
    caisse.last_login_at = utcnow()
    db.flush()
    return caisse


def serialize_caisses(db, caisses: list[Caisse]) -> list[dict]:
    ids = [c.id for c in caisses]
    stats = {}
    if ids:
        for cid, n, total in db.execute(
                sa.select(Transaction.caisse_id, sa.func.count(), sa.func.coalesce(sa.func.sum(Transaction.total), 0))
                .where(Transaction.caisse_id.in_(ids), Transaction.status == "completed")
                .group_by(Transaction.caisse_id)):
            stats[cid] = (n, total)
    return [{
        "id": str(c.id), "event": str(c.event_id), "name": c.name, "email": c.email,
        "is_active": c.is_active, "created_at": c.created_at, "updated_at": c.updated_at,
        "last_login_at": c.last_login_at,
        "transactions_count": stats.get(c.id, (0, 0))[0],
        "revenue": money(stats.get(c.id, (0, 0))[1]),
    } for c in caisses]


# --------------------------------------------------------------------------- items


def _of_event(db, model, event_id, value, field, message):
    """The ``model`` row named by ``value`` (``None`` when blank); 400 ``message`` unless it is of the event."""
    if value in (None, ""):
        return None
    obj = db.get(model, _uuid(value, field))
    if obj is None or obj.event_id != event_id:
        raise errors.Invalid(message, field=field)
    return obj


def _check_session(db, event_id, value):
    return _of_event(db, Session, event_id, value, "session", N_("session: not a session of this event"))


def _check_room(db, event_id, value, session=None):
    room = _of_event(db, Room, event_id, value, "room", N_("room: not a room of this event"))
    if room is not None and session is not None:
        raise errors.Invalid("room: an atelier's item is checked at the door through its session", field="room")
    return room


def create_item(db, event_id, data: dict) -> Item:
    session = _check_session(db, event_id, data.get("session"))
    room = _check_room(db, event_id, data.get("room") or data.get("room_id"), session)
    if data.get("item_type") == "session" and session is None:
        raise errors.Invalid("session: required for an item of type session", field="session")
    if session is not None:
        if db.scalar(sa.select(Item.id).where(Item.session_id == session.id)) is not None:
            raise errors.Conflict("This session already has its item", field="session")
    item = Item(event_id=event_id, item_type="session" if session is not None else data.get("item_type", "other"),
                name=data["name"].strip(), description=data.get("description", ""),
                price=decimal.Decimal(str(data["price"])), is_active=data.get("is_active", True),
                session_id=session.id if session else None,
                capacity=None if session is not None else data.get("capacity"),
                room_id=room.id if room else None)
    db.add(item)
    db.flush()
    return item


def update_item(db, item: Item, changes: dict) -> Item:
    if "session" in changes:
        session = _check_session(db, item.event_id, changes["session"])
        new_id = session.id if session else None
        if new_id != item.session_id and new_id is not None and db.scalar(
                sa.select(Item.id).where(Item.session_id == new_id, Item.id != item.id)) is not None:
            raise errors.Conflict("This session already has its item", field="session")
        item.session_id = new_id
        if session is not None:
            item.item_type = "session"
            item.capacity = None
    if "item_type" in changes:
        if changes["item_type"] == "session" and item.session_id is None:
            raise errors.Invalid("session: required for an item of type session", field="session")
        if changes["item_type"] != "session" and item.session_id is not None and "session" not in changes:
            raise errors.Invalid("item_type: an item linked to a session has type session", field="item_type")
        item.item_type = changes["item_type"] if item.session_id is None else "session"
    for key in ("name", "description", "is_active"):
        if key in changes:
            setattr(item, key, changes[key].strip() if key == "name" else changes[key])
    if "price" in changes:
        item.price = decimal.Decimal(str(changes["price"]))
    if "capacity" in changes and item.session_id is None:
        item.capacity = changes["capacity"]
    if "room" in changes:
        room = _check_room(db, item.event_id, changes["room"])
        item.room_id = room.id if room else None
    if item.session_id is not None and item.room_id is not None:
        raise errors.Invalid("room: an atelier's item is checked at the door through its session", field="room")
    db.flush()
    return item


def delete_item(db, item: Item) -> None:
    """An item already sold is kept (its lines refer to it): deactivate it instead."""
    sold = db.scalar(sa.select(sa.func.count()).select_from(TransactionItem)
                     .where(TransactionItem.item_id == item.id))
    if sold:
        raise errors.Conflict("This item was sold: deactivate it instead (is_active=false)")
    db.delete(item)
    db.flush()


def item_query(event_id, active=None, item_type=None, search=None):
    stmt = sa.select(Item).where(Item.event_id == event_id)
    if active is not None:
        stmt = stmt.where(Item.is_active.is_(active))
    if item_type:
        stmt = stmt.where(Item.item_type == item_type)
    if search:
        stmt = stmt.where(sa.func.lower(Item.name).like(f"%{search.strip().lower()}%"))
    return stmt.order_by(Item.item_type, Item.name, Item.id)


def _sold_counts(db, item_ids) -> dict:
    """Seats taken per item: paid accesses for ateliers, completed lines otherwise."""
    if not item_ids:
        return {}
    out = {}
    rows = db.execute(
        sa.select(Item.id, sa.func.count(SessionAccess.id))
        .join(SessionAccess, sa.and_(SessionAccess.session_id == Item.session_id,
                                     SessionAccess.payment_status == "paid"))
        .where(Item.id.in_(item_ids), Item.session_id.is_not(None)).group_by(Item.id))
    out.update(dict(rows.all()))
    rows = db.execute(
        sa.select(TransactionItem.item_id, sa.func.count())
        .join(Transaction, Transaction.id == TransactionItem.transaction_id)
        .join(Item, Item.id == TransactionItem.item_id)
        .where(TransactionItem.item_id.in_(item_ids), Transaction.status == "completed",
               Item.session_id.is_(None))
        .group_by(TransactionItem.item_id))
    out.update(dict(rows.all()))
    return out


def serialize_items(db, items: list[Item]) -> list[dict]:
    sids = {i.session_id for i in items if i.session_id}
    sessions = {}
    if sids:
        for s, room_cap in db.execute(sa.select(Session, Room.capacity).join(Room, Room.id == Session.room_id)
                                      .where(Session.id.in_(sids))):
            sessions[s.id] = (s, room_cap)
    sold = _sold_counts(db, [i.id for i in items])
    rids = {i.room_id for i in items if i.room_id}
    room_names = dict(db.execute(sa.select(Room.id, Room.name).where(Room.id.in_(rids))).all()) if rids else {}
    out = []
    for i in items:
        cap = i.capacity
        s = sessions.get(i.session_id)
        if s is not None:
            cap = s[0].capacity if s[0].capacity is not None else s[1]
        taken = sold.get(i.id, 0)
        out.append({
            "id": str(i.id), "event": str(i.event_id), "item_type": i.item_type, "name": i.name,
            "description": i.description, "price": money(i.price), "is_active": i.is_active,
            "session": str(i.session_id) if i.session_id else None,
            "session_title": s[0].title if s else None,
            "session_start": s[0].start_time if s else None,
            "room": str(i.room_id) if i.room_id else None,
            "room_name": room_names.get(i.room_id),
            "capacity": cap, "sold": taken,
            "remaining": None if cap is None else max(cap - taken, 0),
            "created_at": i.created_at, "updated_at": i.updated_at,
        })
    return out


# --------------------------------------------------------------------------- paid ateliers <-> items


def sync_session_item(db, session: Session, deleted: bool = False) -> Item | None:
    """Keep the one item of ``session`` in step with it.

    A paid session has an active item named and priced like it (created when
    missing); a session no longer paid, or deleted, has its item deactivated.
    """
    item = db.scalar(sa.select(Item).where(Item.session_id == session.id)) if not deleted else None
    if deleted or not session.is_paid:
        # After a delete the FK may already be NULL: deactivate orphan session items too.
        db.execute(sa.update(Item).where(
            Item.event_id == session.event_id, Item.item_type == "session", Item.is_active.is_(True),
            sa.or_(Item.session_id == session.id, Item.session_id.is_(None))).values(
            is_active=False, updated_at=utcnow()).execution_options(synchronize_session="fetch"))
        return item
    if item is None:
        item = Item(event_id=session.event_id, item_type="session", session_id=session.id, name=session.title,
                    description=(session.description or "")[:5000], price=session.price, is_active=True)
        db.add(item)
    else:
        item.name = session.title[:200]
        item.price = session.price
        item.item_type = "session"
        item.is_active = True
    db.flush()
    return item


def sync_event_items(db, event_id) -> int:
    """Create/refresh the items of every paid atelier of an event; deactivate the
    items of sessions that are no longer paid. Returns the number of items touched."""
    touched = 0
    sessions = db.scalars(sa.select(Session).where(Session.event_id == event_id)).all()
    items = {i.session_id: i for i in db.scalars(sa.select(Item).where(Item.event_id == event_id,
                                                                        Item.session_id.is_not(None)))}
    for s in sessions:
        item = items.get(s.id)
        if s.is_paid:
            if item is None or item.name != s.title[:200] or item.price != s.price or not item.is_active:
                sync_session_item(db, s)
                touched += 1
        elif item is not None and item.is_active:
            item.is_active = False
            touched += 1
    db.flush()
    return touched


def event_items_missing(db, event_id) -> bool:
    """True when a paid atelier of the event has no item yet (one query)."""
    return db.scalar(sa.select(sa.func.count()).select_from(Session)
                     .outerjoin(Item, Item.session_id == Session.id)
                     .where(Session.event_id == event_id, Session.is_paid.is_(True), Item.id.is_(None))) > 0


# --------------------------------------------------------------------------- participants (POS)


def parse_scan(q: str):
    """A pasted/scanned QR payload: legacy JSON ``{"user_id", "badge_id"}`` or a
    plain user id. Returns ``(user_id, badge_id)`` or ``None`` when it is not one."""
    text = (q or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
            return int(data["user_id"]), (str(data["badge_id"]) if data.get("badge_id") else None)
        except (ValueError, KeyError, TypeError):
            raise errors.Invalid("q: not a valid badge QR payload", field="q") from None
    if text.isdigit() and len(text) < 10:
        return int(text), None
    return None


def participant_query(event_id, q: str | None):
    stmt = (sa.select(Participant).join(User, User.id == Participant.user_id)
            .where(Participant.event_id == event_id))
    text = (q or "").strip()
    if text:
        scan = parse_scan(text)
        if scan is not None:
            user_id, badge_id = scan
            stmt = stmt.where(User.id == user_id)
            if badge_id is not None:
                stmt = stmt.where(User.badge_id == badge_id)
        else:
            like = f"%{text.lower()}%"
            full = sa.func.lower(User.first_name + " " + User.last_name)
            stmt = stmt.where(sa.or_(
                full.like(like), sa.func.lower(User.last_name + " " + User.first_name).like(like),
                sa.func.lower(User.email).like(like), sa.func.upper(User.badge_id) == text.upper(),
                sa.func.lower(Participant.badge_number).like(like)))
    return stmt.order_by(User.last_name, User.first_name, Participant.id)


def get_participant(db, participant_id, event_id) -> Participant:
    try:
        pid = uuid.UUID(str(participant_id))
    except (TypeError, ValueError):
        raise errors.NotFound("Participant not found", field="participant") from None
    participant = db.get(Participant, pid)
    if participant is None or participant.event_id != event_id:
        raise errors.NotFound("Participant not found", field="participant")
    return participant


def serialize_participants(db, participants: list[Participant]) -> list[dict]:
    uids = {p.user_id for p in participants}
    users = {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_(uids)))} if uids else {}
    roles = {}
    if participants:
        for uid, _eid, role in db.execute(sa.select(UserEventAssignment.user_id, UserEventAssignment.event_id,
                                                   UserEventAssignment.role)
                                         .where(UserEventAssignment.user_id.in_(uids),
                                                UserEventAssignment.event_id == participants[0].event_id)):
            roles[uid] = role
    out = []
    for p in participants:
        u = users.get(p.user_id)
        out.append({
            "id": str(p.id), "event": str(p.event_id), "user_id": p.user_id,
            "first_name": u.first_name if u else "", "last_name": u.last_name if u else "",
            "full_name": u.full_name if u else "", "email": u.email if u else "",
            "organization": u.organization if u else None, "role": roles.get(p.user_id),
            "badge_id": u.badge_id if u else None, "badge_number": p.badge_number,
            "is_checked_in": p.is_checked_in, "checked_in_at": p.checked_in_at,
        })
    return out


def participant_purchases(db, participant: Participant) -> dict:
    """What the participant already paid, and what they can still buy."""
    accesses = db.execute(
        sa.select(SessionAccess, Session.title).join(Session, Session.id == SessionAccess.session_id)
        .where(SessionAccess.participant_id == participant.id).order_by(Session.start_time)).all()
    paid_sessions = {a.session_id for a, _ in accesses if a.payment_status == "paid"}
    lines = db.execute(
        sa.select(TransactionItem, Transaction.id, Transaction.created_at)
        .join(Transaction, Transaction.id == TransactionItem.transaction_id)
        .where(Transaction.participant_id == participant.id, Transaction.status == "completed")
        .order_by(Transaction.created_at)).all()
    bought_items = {line.item_id for line, _, _ in lines if line.item_id}
    items = db.scalars(item_query(participant.event_id, active=True)).all()
    available = [i for i in items if i.id not in bought_items and i.session_id not in paid_sessions]
    return {
        "session_access": [{
            "session": str(a.session_id), "title": title, "payment_status": a.payment_status,
            "has_access": a.has_access, "amount_paid": money(a.amount_paid), "paid_at": a.paid_at,
        } for a, title in accesses],
        "paid_items": [{
            "item": str(line.item_id) if line.item_id else None, "item_type": line.item_type, "name": line.name,
            "price": money(line.price), "session": str(line.session_id) if line.session_id else None,
            "transaction": str(tid), "paid_at": created,
        } for line, tid, created in lines],
        "available_items": serialize_items(db, available),
    }


def participant_detail(db, participant_id, event_id) -> dict:
    """A participant of ``event_id`` (404 otherwise) as the POS shows them: the
    serialized participant plus ``session_access``, ``paid_items`` and
    ``available_items`` (:func:`participant_purchases`). The model object is under
    the key ``participant`` (drop it before answering JSON)."""
    participant = get_participant(db, participant_id, event_id)
    data = serialize_participants(db, [participant])[0]
    data.update(participant_purchases(db, participant))
    data["participant"] = participant
    return data


# --------------------------------------------------------------------------- sales


def _lock(db, stmt):
    return db.execute(stmt.with_for_update().execution_options(populate_existing=True))


def find_by_key(db, caisse_id, key):
    return db.scalar(sa.select(Transaction).where(Transaction.caisse_id == caisse_id,
                                                  Transaction.idempotency_key == key))


def desk_order(request, db, event_id, action, reference=None, query=None):
    """Ask the plugins (``makeplus_desk_order``: billetterie's on-site orders) about an order;
    ``None`` when none knows it (or none is enabled for the event)."""
    pm = request.plugins if request is not None else None
    if pm is None or not pm.hook.makeplus_desk_order.get_hookimpls():
        return None
    hook = event_modules.event_hook(pm, "makeplus_desk_order", db, event_id)
    return hook(dbsession=db, request=request, event_id=event_id, action=action, reference=reference, query=query)


def find_orders(request, db, caisse: Caisse, query: str | None) -> list[dict]:
    found = desk_order(request, db, caisse.event_id, "find", query=(query or "").strip()[:200]) or []
    return [{**o, "total": money(o["total"])} for o in found]


def sell(db, caisse: Caisse, participant_ref, item_refs, payment_method: str, notes: str = "",
         idempotency_key: str | None = None, order_ref=None, request=None) -> tuple[Transaction, bool]:
    """Record one sale in the current database transaction.

    Returns ``(transaction, replayed)``; ``replayed`` is true when the
    ``idempotency_key`` was already used by this desk for the same sale (nothing new
    is recorded). Locks, in a fixed order so desks never deadlock: the caisse row
    (one sale at a time per desk, which makes the idempotency check exact), the
    participant row (no double sale of one item to one person), then the sessions
    and stock-limited items sold (no seat sold twice), then the collected order
    (``order_ref``: another plugin's order, e.g. a billetterie on-site order, completed
    through the ``makeplus_desk_order`` hook; its row lock makes two desks selling it
    at once → the second gets 409).

    The steps: lock the desk → validate the input → replay a known idempotency key →
    load and lock the buyer, the items and their seats → check (not bought yet, seats
    left) → collect the order → record.
    """
    _lock(db, sa.select(Caisse).where(Caisse.id == caisse.id))
    order_ref, item_ids = _parse_sale(order_ref, item_refs)
    if idempotency_key:
        previous = find_by_key(db, caisse.id, idempotency_key)
        if previous is not None:
            return _replay(db, previous, participant_ref, item_ids, order_ref), True
    participant = _lock_participant(db, caisse, participant_ref, item_ids, order_ref)
    items = _load_items(db, caisse, item_ids)
    session_ids, sessions, stock_ids = _lock_seats(db, items)
    _check_not_bought(db, participant, items, item_ids, session_ids, sessions)
    _check_seats(db, items, item_ids, session_ids, sessions, stock_ids)
    order = _collect_order(request, db, caisse, order_ref)  # last: its lock is held for the shortest time
    return _record_sale(db, caisse, participant, items, item_ids, payment_method, notes, idempotency_key,
                        order), False


def _parse_sale(order_ref, item_refs) -> tuple[str | None, list[uuid.UUID]]:
    """Validate the input: the order reference (stripped, or ``None``) and the item ids."""
    if order_ref is not None and (not isinstance(order_ref, str) or not order_ref.strip()
                                  or len(order_ref.strip()) > 64):
        raise errors.Invalid("order: an order reference (at most 64 characters)", field="order")
    order_ref = order_ref.strip() if order_ref else None
    if item_refs is None and order_ref:
        item_refs = []
    if not isinstance(item_refs, list) or (not item_refs and not order_ref):
        raise errors.Invalid("items: choose at least one item", field="items")
    if len(item_refs) > 50:
        raise errors.Invalid("items: at most 50 items per sale", field="items")
    item_ids = [_item_id(ref) for ref in item_refs]
    if len(set(item_ids)) != len(item_ids):
        dup = next(str(i) for i in item_ids if item_ids.count(i) > 1)
        raise errors.Invalid(f"items: item {dup} is listed twice", field="items", item=dup)
    return order_ref, item_ids


def _item_id(ref) -> uuid.UUID:
    if not isinstance(ref, str | int) or isinstance(ref, bool):
        raise errors.Invalid("items: item ids are strings", field="items")
    try:
        return uuid.UUID(str(ref))
    except ValueError:
        raise errors.Invalid(f"items: unknown item {ref}", field="items", item=str(ref)) from None


def _lock_participant(db, caisse, participant_ref, item_ids, order_ref) -> Participant | None:
    """The buyer, locked (required unless the sale only collects an order)."""
    if participant_ref in (None, "") and (item_ids or not order_ref):
        raise errors.Invalid("participant: required", field="participant")
    if participant_ref in (None, ""):
        return None
    participant = get_participant(db, participant_ref, caisse.event_id)
    return _lock(db, sa.select(Participant).where(Participant.id == participant.id)).scalar_one()


def _load_items(db, caisse, item_ids) -> dict:
    """The items sold, by id: each of the desk's event, on sale, a session item with its session."""
    items = {i.id: i for i in db.scalars(sa.select(Item).where(Item.id.in_(item_ids)))}
    for iid in item_ids:
        item = items.get(iid)
        if item is None or item.event_id != caisse.event_id:
            raise errors.Invalid(f"items: unknown item {iid}", field="items", item=str(iid))
        if not item.is_active:
            raise errors.Invalid(f"items: « {item.name} » is not on sale", field="items", item=str(iid))
        if item.item_type == "session" and item.session_id is None:
            raise errors.Invalid(f"items: « {item.name} » has no session", field="items", item=str(iid))
    return items


def _lock_seats(db, items: dict):
    """Lock what has limited seats, in id order: the sessions, then the stock-limited items.
    Returns ``(session_ids, sessions by id, stock_ids)``."""
    session_ids = sorted({i.session_id for i in items.values() if i.session_id})
    sessions = {}
    if session_ids:
        for s in _lock(db, sa.select(Session).where(Session.id.in_(session_ids)).order_by(Session.id)).scalars():
            sessions[s.id] = s
    stock_ids = sorted(i.id for i in items.values() if i.session_id is None and i.capacity is not None)
    if stock_ids:
        _lock(db, sa.select(Item).where(Item.id.in_(stock_ids)).order_by(Item.id)).all()
    return session_ids, sessions, stock_ids


def _check_not_bought(db, participant, items, item_ids, session_ids, sessions):
    """409 for an item (or atelier) the participant already paid; 400 for a cancelled atelier."""
    paid_sessions = bought = set()
    if item_ids:
        paid_sessions, bought = _already_paid(db, participant, session_ids, item_ids)
    for iid in item_ids:
        item = items[iid]
        if iid in bought or (item.session_id and item.session_id in paid_sessions):
            raise errors.Conflict(f"« {item.name} » is already paid by this participant", field="items",
                                  item=str(iid))
        if item.session_id and item.session_id in sessions and sessions[item.session_id].status == "cancelled":
            raise errors.Invalid(f"items: « {item.name} » was cancelled", field="items", item=str(iid))


def _collect_order(request, db, caisse, order_ref) -> dict | None:
    """Another plugin's order paid at this desk (``makeplus_desk_order``), locked by it; 404 when none."""
    if not order_ref:
        return None
    order = desk_order(request, db, caisse.event_id, "pay", reference=order_ref)
    if order is None:
        raise errors.NotFound("order: no such order payable at this desk", field="order")
    return order


def _already_paid(db, participant, session_ids, item_ids):
    paid_sessions = set(db.scalars(sa.select(SessionAccess.session_id).where(
        SessionAccess.participant_id == participant.id, SessionAccess.payment_status == "paid",
        SessionAccess.session_id.in_(session_ids)))) if session_ids else set()
    bought = set(db.scalars(
        sa.select(TransactionItem.item_id).join(Transaction, Transaction.id == TransactionItem.transaction_id)
        .where(Transaction.participant_id == participant.id, Transaction.status == "completed",
               TransactionItem.item_id.in_(item_ids))))
    return paid_sessions, bought


def _check_seats(db, items, item_ids, session_ids, sessions, stock_ids):
    """409 ``full`` when an atelier has no seat left or a stock-limited item is sold out."""
    if session_ids:
        room_caps = dict(db.execute(sa.select(Session.id, Room.capacity).join(Room, Room.id == Session.room_id)
                                    .where(Session.id.in_(session_ids))).all())
        taken = dict(db.execute(sa.select(SessionAccess.session_id, sa.func.count())
                                .where(SessionAccess.session_id.in_(session_ids),
                                       SessionAccess.payment_status == "paid")
                                .group_by(SessionAccess.session_id)).all())
        for iid in item_ids:
            item = items[iid]
            if item.session_id:
                s = sessions[item.session_id]
                cap = s.capacity if s.capacity is not None else room_caps.get(s.id)
                if cap is not None and taken.get(s.id, 0) >= cap:
                    raise errors.Conflict(f"« {item.name} » is full ({cap} seats)", field="items",
                                          item=str(iid), code_detail="full")
    if stock_ids:
        sold = _sold_counts(db, stock_ids)
        for iid in stock_ids:
            if sold.get(iid, 0) >= items[iid].capacity:
                raise errors.Conflict(f"« {items[iid].name} » is sold out", field="items", item=str(iid),
                                      code_detail="full")


def _record_sale(db, caisse, participant, items, item_ids, payment_method, notes, idempotency_key, order):
    """Record the transaction, its lines and the ateliers' paid accesses; check the buyer in."""
    now = utcnow()
    user = db.get(User, participant.user_id) if participant is not None else None
    total = sum((items[i].price for i in item_ids), ZERO)
    if order is not None:
        total += order["total"]
    total = total.quantize(decimal.Decimal("0.01"))
    name, email = (user.full_name, user.email) if user else \
        ((order or {}).get("buyer_name") or "", (order or {}).get("buyer_email") or "")
    txn = Transaction(event_id=caisse.event_id, caisse_id=caisse.id,
                      participant_id=participant.id if participant is not None else None,
                      participant_name=name, participant_email=email,
                      total=total, payment_method=payment_method, status="completed", notes=notes or "",
                      created_at=now, idempotency_key=idempotency_key or None)
    db.add(txn)
    db.flush()
    if order is not None:
        db.add(TransactionItem(transaction_id=txn.id, item_id=None, session_id=None, item_type="order",
                               name=order["label"][:200], price=order["total"], order_ref=order["reference"]))
    for iid in item_ids:
        item = items[iid]
        db.add(TransactionItem(transaction_id=txn.id, item_id=item.id, session_id=item.session_id,
                               item_type=item.item_type, name=item.name, price=item.price))
        if item.session_id:
            access = db.scalar(sa.select(SessionAccess).where(SessionAccess.participant_id == participant.id,
                                                              SessionAccess.session_id == item.session_id))
            if access is None:
                access = SessionAccess(participant_id=participant.id, session_id=item.session_id, registered_at=now)
                db.add(access)
            access.payment_status = "paid"
            access.has_access = True
            access.amount_paid = item.price
            access.paid_at = now
            access.granted_at = now
    if participant is not None and not participant.is_checked_in:
        participant.is_checked_in = True
        participant.checked_in_at = now
    db.flush()
    return txn


def _replay(db, previous: Transaction, participant_ref, item_ids, order_ref=None) -> Transaction:
    lines = db.execute(sa.select(TransactionItem.item_id, TransactionItem.order_ref)
                       .where(TransactionItem.transaction_id == previous.id)).all()
    same_items = {i for i, _ in lines if i is not None} == set(item_ids)
    same_order = {o for _, o in lines if o is not None} == ({order_ref} if order_ref else set())
    if participant_ref in (None, ""):
        same_participant = previous.participant_id is None
    else:
        try:
            same_participant = previous.participant_id == uuid.UUID(str(participant_ref))
        except ValueError:
            same_participant = False
    if not same_participant or not same_items or not same_order:
        raise errors.Conflict("This Idempotency-Key was already used for another sale", field="Idempotency-Key")
    return previous


def cancel(db, caisse: Caisse, transaction_id, reason: str, request=None) -> Transaction:
    """Cancel one of the desk's own sales; the atelier accesses it granted are refunded, and
    an order it collected is refunded by its plugin (``makeplus_desk_order`` "refund")."""
    reason = (reason or "").strip()
    try:
        tid = uuid.UUID(str(transaction_id))
    except ValueError:
        raise errors.NotFound("Transaction not found") from None
    txn = _lock(db, sa.select(Transaction).where(Transaction.id == tid)).scalar_one_or_none()
    if txn is None or txn.caisse_id != caisse.id:
        raise errors.NotFound("Transaction not found")
    if not reason:
        raise errors.Invalid("reason: required", field="reason")
    if txn.status == "cancelled":
        raise errors.Conflict("This transaction is already cancelled")
    now = utcnow()
    txn.status = "cancelled"
    txn.cancelled_at = now
    txn.cancelled_reason = reason
    txn.cancelled_by_caisse_id = caisse.id
    session_ids = list(db.scalars(sa.select(TransactionItem.session_id).where(
        TransactionItem.transaction_id == txn.id, TransactionItem.session_id.is_not(None))))
    if session_ids and txn.participant_id:
        for access in _lock(db, sa.select(SessionAccess).where(
                SessionAccess.participant_id == txn.participant_id,
                SessionAccess.session_id.in_(session_ids))).scalars():
            access.payment_status = "refunded"
            access.has_access = False
    for order_ref in db.scalars(sa.select(TransactionItem.order_ref).where(
            TransactionItem.transaction_id == txn.id, TransactionItem.order_ref.is_not(None))):
        if desk_order(request, db, caisse.event_id, "refund", reference=order_ref,
                      query=f"Sale cancelled at the cash desk: {reason}") is None:
            raise errors.Conflict("This sale collected an order that cannot be refunded here (its plugin is off)")
    db.flush()
    return txn


# --------------------------------------------------------------------------- transaction lists


def parse_date(value, field, end=False):
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            d = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)
            return d + dt.timedelta(days=1) if end else d
        d = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.Invalid(f"{field}: not a valid date (YYYY-MM-DD or ISO datetime)", field=field) from None
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def transaction_filters(event_id, q: dict, caisse_id=None) -> list:
    conds = [Transaction.event_id == event_id]
    if caisse_id is not None:
        conds.append(Transaction.caisse_id == caisse_id)
    elif q.get("caisse"):
        conds.append(Transaction.caisse_id == _uuid(q["caisse"], "caisse"))
    start = parse_date(q.get("date_from"), "date_from")
    end = parse_date(q.get("date_to"), "date_to", end=True)
    if start:
        conds.append(Transaction.created_at >= start)
    if end:
        conds.append(Transaction.created_at < end if len(str(q.get("date_to"))) == 10
                     else Transaction.created_at <= end)
    if q.get("status"):
        conds.append(Transaction.status == q["status"])
    if q.get("payment_method"):
        conds.append(Transaction.payment_method == q["payment_method"])
    if q.get("participant"):
        conds.append(Transaction.participant_id == _uuid(q["participant"], "participant"))
    return conds


def transaction_query(conds):
    return sa.select(Transaction).where(*conds).order_by(Transaction.created_at.desc(), Transaction.id)


def totals(db, conds) -> dict:
    row = db.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((Transaction.status == "completed", Transaction.total), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((Transaction.status == "completed", 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((Transaction.status == "cancelled", Transaction.total), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((Transaction.status == "cancelled", 1), else_=0)), 0),
    ).where(*conds)).one()
    return {"count": row[0], "revenue": money(row[1]), "completed": int(row[2]),
            "cancelled_amount": money(row[3]), "cancelled": int(row[4])}


def serialize_transactions(db, txns: list[Transaction]) -> list[dict]:
    ids = [t.id for t in txns]
    lines: dict = {t.id: [] for t in txns}
    if ids:
        for line in db.scalars(sa.select(TransactionItem).where(TransactionItem.transaction_id.in_(ids))
                               .order_by(TransactionItem.transaction_id, TransactionItem.name, TransactionItem.id)):
            lines[line.transaction_id].append(line)
    cids = {t.caisse_id for t in txns} | {t.cancelled_by_caisse_id for t in txns if t.cancelled_by_caisse_id}
    names = dict(db.execute(sa.select(Caisse.id, Caisse.name).where(Caisse.id.in_(cids))).all()) if cids else {}
    return [{
        "id": str(t.id), "event": str(t.event_id), "caisse": str(t.caisse_id), "caisse_name": names.get(t.caisse_id),
        "participant": str(t.participant_id) if t.participant_id else None,
        "participant_name": t.participant_name, "participant_email": t.participant_email,
        "total": money(t.total), "payment_method": t.payment_method, "status": t.status, "notes": t.notes,
        "created_at": t.created_at, "cancelled_at": t.cancelled_at, "cancelled_reason": t.cancelled_reason,
        "cancelled_by": str(t.cancelled_by_caisse_id) if t.cancelled_by_caisse_id else None,
        "cancelled_by_name": names.get(t.cancelled_by_caisse_id),
        "items": [{"id": str(li.id), "item": str(li.item_id) if li.item_id else None, "item_type": li.item_type,
                   "name": li.name, "price": money(li.price),
                   "session": str(li.session_id) if li.session_id else None, "order": li.order_ref}
                  for li in lines[t.id]],
    } for t in txns]


def desk_history(db, caisse: Caisse, limit: int = 20) -> dict:
    """The desk's latest ``limit`` sales (newest first, serialized) and the desk's
    ``totals`` (:func:`totals`) over all its sales."""
    conds = transaction_filters(caisse.event_id, {}, caisse_id=caisse.id)
    rows = db.scalars(transaction_query(conds).limit(limit)).all()
    return {"results": serialize_transactions(db, rows), "totals": totals(db, conds)}


# --------------------------------------------------------------------------- statistics


def _day(db, col):
    if db.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", col), sa.Date)
    return sa.func.date(col)


def statistics(db, event_id, conds=None) -> dict:
    """Figures of an event's sales, all from SQL aggregates. Revenue counts completed sales only."""
    conds = conds if conds is not None else [Transaction.event_id == event_id]
    done = [*conds, Transaction.status == "completed"]
    summary = totals(db, conds)
    unique = db.scalar(sa.select(sa.func.count(sa.distinct(Transaction.participant_id))).where(*done))
    per_caisse = db.execute(
        sa.select(Caisse.id, Caisse.name, sa.func.count(Transaction.id), sa.func.coalesce(sa.func.sum(Transaction.total), 0))
        .join(Transaction, Transaction.caisse_id == Caisse.id).where(*done)
        .group_by(Caisse.id, Caisse.name).order_by(Caisse.name)).all()
    per_item = db.execute(
        sa.select(TransactionItem.item_id, TransactionItem.name, TransactionItem.item_type, sa.func.count(),
                  sa.func.sum(TransactionItem.price))
        .join(Transaction, Transaction.id == TransactionItem.transaction_id).where(*done)
        .group_by(TransactionItem.item_id, TransactionItem.name, TransactionItem.item_type)
        .order_by(TransactionItem.name)).all()
    per_method = db.execute(
        sa.select(Transaction.payment_method, sa.func.count(), sa.func.sum(Transaction.total)).where(*done)
        .group_by(Transaction.payment_method).order_by(Transaction.payment_method)).all()
    day = _day(db, Transaction.created_at).label("day")
    per_day = db.execute(sa.select(day, sa.func.count(), sa.func.sum(Transaction.total)).where(*done)
                         .group_by(day).order_by(day)).all()
    return {
        "total_revenue": summary["revenue"], "transactions": summary["completed"],
        "cancelled_transactions": summary["cancelled"], "cancelled_amount": summary["cancelled_amount"],
        "unique_participants": unique or 0,
        "average_basket": money(decimal.Decimal(summary["revenue"]) / summary["completed"])
        if summary["completed"] else money(0),
        "per_caisse": [{"caisse": str(c), "name": n, "transactions": k, "revenue": money(s)}
                       for c, n, k, s in per_caisse],
        "per_item": [{"item": str(i) if i else None, "name": n, "item_type": t, "quantity": k, "revenue": money(s)}
                     for i, n, t, k, s in per_item],
        "per_payment_method": [{"payment_method": m, "transactions": k, "revenue": money(s)}
                               for m, k, s in per_method],
        "per_day": [{"date": str(d), "transactions": k, "revenue": money(s)} for d, k, s in per_day],
    }


def event_statistics(db, event_id) -> dict:
    s = statistics(db, event_id)
    return {"revenue": s["total_revenue"], "transactions": s["transactions"],
            "cancelled_transactions": s["cancelled_transactions"], "unique_participants": s["unique_participants"],
            "caisses": db.scalar(sa.select(sa.func.count()).select_from(Caisse).where(Caisse.event_id == event_id)),
            "per_payment_method": s["per_payment_method"]}


def transaction_count(db, event_id) -> int:
    """Every sale of the event, completed or cancelled (both are kept forever)."""
    return int(db.scalar(sa.select(sa.func.count()).select_from(Transaction)
                         .where(Transaction.event_id == event_id)) or 0)


def export_for_caisse_user(db, user) -> list[dict]:
    """Sales made to ``user`` (for their personal data export)."""
    rows = db.scalars(sa.select(Transaction).join(Participant, Participant.id == Transaction.participant_id)
                      .where(Participant.user_id == user.id).order_by(Transaction.created_at)).all()
    return serialize_transactions(db, rows)


# --------------------------------------------------------------------------- global search


def search(db, event_id, query: str, role: str | None, limit: int) -> list[dict]:
    """``makeplus_search`` (gestionnaires and platform admins only): sales of the event whose
    buyer's name or e-mail (the snapshot kept on the sale) contains every word, or whose id
    is the query (a full UUID, score 10). One query."""
    from makeplus_core.plugin_api import GESTIONNAIRE, Matcher, parse_query

    if role not in (GESTIONNAIRE, "admin") or not limit:
        return []
    try:
        text, terms = parse_query(query)
    except errors.Invalid:
        return []
    m = Matcher(db.get_bind().dialect.name)
    fields = [(Transaction.participant_name, 2), (Transaction.participant_email, 2)]
    score = m.score(fields, terms)
    match = m.all_terms_in(fields, terms)
    try:
        txn_id = uuid.UUID(text)
    except ValueError:
        txn_id = None
    if txn_id is not None:
        score = score + sa.case((Transaction.id == txn_id, 10.0), else_=0.0)
        match = sa.or_(match, Transaction.id == txn_id)
    rows = db.execute(
        sa.select(Transaction.id, Transaction.participant_name, Transaction.participant_email, Transaction.total,
                  Transaction.status, Transaction.payment_method, Transaction.created_at, Caisse.name.label("desk"),
                  score.label("score"))
        .join(Caisse, Caisse.id == Transaction.caisse_id)
        .where(Transaction.event_id == event_id, match)
        .order_by(sa.desc("score"), Transaction.created_at.desc(), Transaction.id).limit(limit)).all()
    return [{"type": "caisse_transaction", "id": str(r.id),
             "title": r.participant_name or r.participant_email or str(r.id),
             "subtitle": " · ".join(x for x in (f"{money(r.total)} DZD", r.desk, r.status) if x),
             "score": float(r.score), "url": f"/api/caisse/transactions/{r.id}/",
             "extra": {"total": money(r.total), "status": r.status, "payment_method": r.payment_method,
                       "caisse_name": r.desk, "participant_email": r.participant_email,
                       "created_at": r.created_at}} for r in rows]


# --------------------------------------------------------------------------- at the door


@functools.cache
def _paid_extras_statement():
    """Built once per process (building costs more Python than running it); only the parameters change."""
    event_id = sa.bindparam("event_id", type_=Participant.event_id.type)
    return (sa.select(TransactionItem.item_id, TransactionItem.item_type, TransactionItem.name,
                      sa.func.count(), sa.func.sum(TransactionItem.price), Item.room_id)
            .join(Transaction, Transaction.id == TransactionItem.transaction_id)
            .join(Participant, Participant.id == Transaction.participant_id)
            .outerjoin(Item, Item.id == TransactionItem.item_id)
            .where(Participant.user_id == sa.bindparam("user_id", type_=sa.Integer), Participant.event_id == event_id,
                   Transaction.event_id == event_id, Transaction.status == "completed",
                   TransactionItem.session_id.is_(None), TransactionItem.item_type != "session")
            .group_by(TransactionItem.item_id, TransactionItem.item_type, TransactionItem.name, Item.room_id)
            .order_by(TransactionItem.name))


def paid_extras(db, user_id: int, event_id) -> list[dict]:
    """The holder's extras bought at a desk (completed sales, atelier lines excluded:
    the core lists paid ateliers), one PaidItem per item with the amount paid. One query."""
    rows = db.execute(_paid_extras_statement(), {"user_id": user_id, "event_id": event_id}).all()
    return [{
        "type": item_type if item_type in ("dinner", "access", "other") else "other",
        "id": str(item_id) if item_id else "",
        "session_id": "",
        "title": name,
        "payment_status": "paid",
        "amount_paid": float(total or 0),
        "has_access": True,
        "quantity": int(n),
        "room_id": str(room_id) if room_id else None,
        "source": "caisse",
    } for item_id, item_type, name, n, total, room_id in rows]


def door_ticket_check(db, room_id, participant_id):
    """``None`` when ``room_id`` needs no ticket or the participant bought one; else the
    names of the tickets that admit there. One query."""
    ticket_items = sa.select(Item.id).where(Item.room_id == room_id, Item.is_active.is_(True),
                                            Item.session_id.is_(None))
    bought = (sa.select(TransactionItem.id)
              .join(Transaction, Transaction.id == TransactionItem.transaction_id)
              .where(TransactionItem.item_id.in_(ticket_items), Transaction.status == "completed",
                     Transaction.participant_id == participant_id)
              .limit(1))
    rows = db.execute(
        sa.select(Item.name, sa.exists(bought).label("bought"))
        .where(Item.room_id == room_id, Item.is_active.is_(True), Item.session_id.is_(None))
        .order_by(Item.name)
    ).all()
    if not rows or (participant_id is not None and rows[0].bought):
        return None
    return [name for name, _ in rows]
