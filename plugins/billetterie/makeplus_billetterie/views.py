"""REST services of the billetterie plugin (paths follow seed 004).

Public, no login (cacheable, no private data): ``/api/config/public/``,
``/api/config/schedule/``, ``/api/tickets/types/`` (each ``?event=<id>``),
``/api/config/contact/`` (rate-limited, mailed to the organiser).

Buying: ``/api/payments/checkout/create-intent/`` (guest or logged-in),
``/api/payments/checkout/confirm/``, ``/api/payments/webhook/stripe/``.

The caller's own: ``/api/tickets/my/``, ``/api/tickets/{id}/`` (+ ``qr/``),
``/api/orders/`` (alias ``/api/payments/orders/``) and detail, transfers, upgrades.

Staff (gestionnaire of the event): ``/api/billetterie/ticket-types/``,
``/api/tickets/staff/…`` (orders, comp, refund, upgrade, resend, export).

Door: ``/api/scan/validate/`` (decide, record nothing) and ``/api/scan/commit/``
(record), aliases of the core's scan pipeline.
"""
from __future__ import annotations

import functools
import hashlib
import uuid

import sqlalchemy as sa
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from makeplus_core.plugin_api import (
    GESTIONNAIRE,
    N_,
    Conflict,
    Event,
    Invalid,
    NotFound,
    Sheet,
    User,
    UserEventAssignment,
    access_pipeline,
    api,
    badges,
    dialect_insert,
    errors,
    event_modules,
    i18n,
    qr_images,
    send_mail,
    translate,
    utcnow,
    xlsx_response,
)

from . import mails, providers, schemas, services
from .models import Order, PaymentEvent, Ticket, TicketType, Transfer

PUBLIC = NO_PERMISSION_REQUIRED
PLUGIN = "billetterie"


# --------------------------------------------------------------------------- helpers


def _shop_event(request) -> Event:
    raw = api.param(request, "event", "event_id")
    if raw is None:
        raise Invalid("event: required (?event=<id>)", field="event")
    event = services.public_event(request.dbsession, raw)
    event_modules.require_enabled(request.dbsession, event.id, PLUGIN)
    return event


def _cacheable(request, payload, max_age=60):
    """A public answer: ETag (304 when unchanged) and a short shared max-age."""
    body = api.json_dumps(payload)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        resp = Response(status=304)
    else:
        resp = Response(body=body.encode(), content_type="application/json", charset="utf-8")
    resp.etag = etag
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    return resp


def _gestionnaire(request):
    event_id = api.require_event(request)
    api.require_gestionnaire(request, event_id=event_id)
    return event_id


def _caller_event(request):
    """The caller's event (token's), any role."""
    return api.require_event(request)


def _order_for_caller(request, order_id, token=None) -> Order:
    """The caller's order, or a guest's with its token; anything else 404."""
    db = request.dbsession
    order = api.get_or_404(db, Order, order_id, label="Order", field="order")
    ident = request.identity
    if token:
        if order.guest_token_hash and services.hash_code(str(token)) == order.guest_token_hash:
            return order
        raise NotFound("Order not found", field="order")
    if ident is None:
        raise NotFound("Order not found", field="order")
    if order.buyer_user_id == ident.user_id and (order.event_id == ident.event_id or ident.event_id is None):
        return order
    raise NotFound("Order not found", field="order")


def _order_answer(request, order, payment=None, token=None):
    db = request.dbsession
    body = services.serialize_orders(db, [order], with_tickets=True)[0]
    if payment is not None:
        body["payment"] = payment
    if token is not None:
        body["token"] = token
    return body


def _finish_payment(request, order, state: str, provider_ref=None):
    db = request.dbsession
    settings = request.registry.settings
    if state == "paid":
        done = services.complete_order(db, settings, order.id, provider_ref=provider_ref)
        mails.after_completion(request, done, own=True)  # the buyer's confirmation: their language if they name one
    elif state == "failed":
        if order.kind == "upgrade":
            locked = services.lock_order(db, order.id)
            if locked.status == "pending":
                services.release_upgrade(db, locked, "failed")
        else:
            services.fail_order(db, order.id)
    db.refresh(order)
    return order


s_config = api.service("billetterie-config", "/api/config/public/", "Public configuration of an event (?event=)")


# --------------------------------------------------------------------------- public shop


@s_config.get(permission=PUBLIC)
def public_config(request):
    event = _shop_event(request)
    now = utcnow()
    types = list(request.dbsession.scalars(services.types_query(event.id, public=True)))
    open_types = sum(1 for t in types if services.on_sale(t, now))
    return _cacheable(request, services.public_config(event, request.registry.settings, open_types))


s_schedule = api.service("billetterie-schedule", "/api/config/schedule/", "Public schedule of an event (?event=)")


@s_schedule.get(permission=PUBLIC)
def public_schedule(request):
    return _cacheable(request, services.public_schedule(request.dbsession, _shop_event(request)))


s_types_public = api.service("billetterie-types-public", "/api/tickets/types/",
                             "Ticket types on sale with remaining quantity (?event=)")


@s_types_public.get(permission=PUBLIC)
def public_types(request):
    event = _shop_event(request)
    db = request.dbsession
    now = utcnow()
    types = [t for t in db.scalars(services.types_query(event.id, public=True)) if services.on_sale(t, now)]
    return _cacheable(request, {"event": str(event.id), "results": services.serialize_types(db, types, public=True)},
                      max_age=15)


s_contact = api.service("billetterie-contact", "/api/config/contact/", "Contact the organiser (rate-limited)")


@s_contact.post(permission=PUBLIC, schema=api.doc(schemas.ContactSchema))
def contact(request):
    request.rate_limiter.hit(request, "billetterie_contact")
    data = api.validate(schemas.ContactSchema(), api.json_body(request))
    db = request.dbsession
    event = services.public_event(db, data["event"])
    event_modules.require_enabled(db, event.id, PLUGIN)
    recipients = [event.organizer_email] if event.organizer_email else list(db.scalars(
        sa.select(User.email).join(UserEventAssignment, UserEventAssignment.user_id == User.id)
        .where(UserEventAssignment.event_id == event.id, UserEventAssignment.role == GESTIONNAIRE,
               UserEventAssignment.is_active.is_(True)).order_by(User.id).limit(5)))
    if not recipients:
        raise Conflict("This event has no organiser address to write to", field="event")
    # to the organisers (not the visitor's own mail): the event's language, else French
    t = functools.partial(translate, request, locale=i18n.mail_locale(request, event=event))
    body = (t("Message sent through the ${event} ticket shop.", event=event.name) + "\n\n"
            + t("From: ${name} <${email}>", name=data["name"], email=data["email"]) + "\n"
            + t("Subject: ${subject}", subject=data["subject"]) + f"\n\n{data['message']}\n")
    subject = t("[${event}] contact: ${subject}", event=event.name, subject=data["subject"] or data["name"])
    for to in recipients:
        send_mail(request, to=to, subject=subject[:200], body=body)
    request.response.status = 202
    return {"sent": True}


s_types = api.service("billetterie-types", "/api/billetterie/ticket-types/", "Ticket types of my event (gestionnaire)")


# --------------------------------------------------------------------------- ticket types (staff)


@s_types.get()
def list_types(request):
    event_id = _gestionnaire(request)
    db = request.dbsession
    return api.paginate(request, services.types_query(event_id), lambda rows: services.serialize_types(db, rows))


@s_types.post(schema=api.doc(schemas.TicketTypeSchema))
def create_type(request):
    event_id = _gestionnaire(request)
    data = api.validate(schemas.TicketTypeSchema(), api.json_body(request))
    obj = services.create_type(request.dbsession, event_id, data)
    request.response.status = 201
    return services.serialize_types(request.dbsession, [obj])[0]


def _type(request):
    return api.get_as_gestionnaire(request, TicketType, label="Ticket type")


s_type = api.service("billetterie-type", f"/api/billetterie/ticket-types/{api.UUID_ID}/", "One ticket type")


@s_type.get()
def get_type(request):
    return services.serialize_types(request.dbsession, [_type(request)])[0]


@s_type.patch(schema=api.doc(schemas.TicketTypeSchema))
def update_type(request):
    obj = _type(request)
    data = api.validate(schemas.TicketTypeSchema(), api.json_body(request), partial=True)
    services.update_type(request.dbsession, obj, data)
    return services.serialize_types(request.dbsession, [obj])[0]


@s_type.delete()
def delete_type(request):
    services.delete_type(request.dbsession, _type(request))
    return api.no_content()


s_checkout = api.service("billetterie-checkout", "/api/payments/checkout/create-intent/",
                         "Order tickets: reserve the seats and start the payment (guest or logged-in)")


# --------------------------------------------------------------------------- checkout


@s_checkout.post(permission=PUBLIC, schema=api.doc(schemas.CheckoutSchema))
def checkout(request):
    raw = api.json_body(request)
    data = api.validate(schemas.CheckoutSchema(), {k: v for k, v in raw.items() if k != "items"} | {"items": []})
    db = request.dbsession
    event = services.public_event(db, data["event"])
    event_modules.require_enabled(db, event.id, PLUGIN)
    ident = request.identity
    buyer = ident.user if ident is not None else None
    request.rate_limiter.hit(request, "billetterie_checkout", user_key=buyer.id if buyer else None)
    if buyer is None and not (data.get("buyer") or {}).get("email"):
        raise Invalid("buyer.email: required without a login", field="buyer.email")
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key and len(key) > 200:
        raise Invalid("Idempotency-Key: at most 200 characters", field="Idempotency-Key")
    order, token, replayed = services.create_order(
        db, request.registry.settings, event, items=raw.get("items"), provider=data["provider"], buyer_user=buyer,
        buyer_email=(data.get("buyer") or {}).get("email"), buyer_name=(data.get("buyer") or {}).get("name", ""),
        idempotency_key=key)
    if replayed and order.guest_token_hash and buyer is None:
        raise Conflict("This Idempotency-Key was already used; read the order with its token", field="Idempotency-Key")
    payment = providers.get(order.provider).start(request, order)
    db.flush()
    request.response.status = 200 if replayed else 201
    return _order_answer(request, order, payment=payment, token=token)


s_confirm = api.service("billetterie-confirm", "/api/payments/checkout/confirm/", "Confirm an order's payment")


@s_confirm.post(permission=PUBLIC, schema=api.doc(schemas.ConfirmSchema))
def confirm(request):
    body = api.json_body(request)
    data = api.validate(schemas.ConfirmSchema(), body)
    order = _order_for_caller(request, data["order"], data.get("token"))
    if order.status == "pending":
        if order.expires_at and order.expires_at < utcnow() and order.provider == "test":
            services.release_expired(request.dbsession, order.event_id)
            request.dbsession.refresh(order)
        else:
            state = providers.get(order.provider).confirm(request, order, data)
            _finish_payment(request, order, state)
    if order.status == "pending":
        request.response.status = 202
    return _order_answer(request, order)


def _stripe_order(db, obj: dict):
    meta = obj.get("metadata") or {}
    order = None
    if meta.get("order_id"):
        try:
            order = db.get(Order, uuid.UUID(str(meta["order_id"])))
        except ValueError:
            order = None
    ref = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    if order is None and ref:
        order = db.scalar(sa.select(Order).where(Order.provider_ref == ref))
    if order is not None and order.provider != "stripe":
        return None
    return order


def _record_event(db, event: dict, order) -> bool:
    """Insert the event id once (ON CONFLICT DO NOTHING): False when already processed."""
    stmt = dialect_insert(db, PaymentEvent).values(id=event["id"], provider="stripe", type=event["type"],
                                       order_id=order.id if order else None, outcome="", received_at=utcnow())
    inserted = db.execute(stmt.on_conflict_do_nothing(index_elements=["id"]).returning(PaymentEvent.id)).first()
    from zope.sqlalchemy import mark_changed

    mark_changed(db)
    return inserted is not None


s_webhook = api.service("billetterie-stripe-webhook", "/api/payments/webhook/stripe/",
                        "Stripe webhook (signature verified, each event processed once)")


@s_webhook.post(permission=PUBLIC)
def stripe_webhook(request):
    settings = request.registry.settings
    event = providers.verify_stripe_webhook(settings, request.body, request.headers.get("Stripe-Signature"))
    db = request.dbsession
    obj = ((event.get("data") or {}).get("object")) or {}
    if not isinstance(obj, dict):
        raise Invalid("data.object: required", field="data")
    order = _stripe_order(db, obj)
    if not _record_event(db, event, order):
        return {"received": True, "duplicate": True}
    outcome = "ignored"
    kind = event["type"]
    if order is not None:
        if kind == "payment_intent.succeeded":
            received = providers.from_minor(obj.get("amount_received") or 0, order.currency)
            if str(obj.get("currency", "")).upper() != order.currency or received < order.total:
                outcome = "amount_mismatch"
            else:
                _finish_payment(request, order, "paid", provider_ref=obj.get("id"))
                outcome = order.status
        elif kind == "payment_intent.payment_failed":
            _finish_payment(request, order, "failed")
            outcome = order.status
        elif kind == "charge.refunded":
            # A refund proves the payment succeeded, even if that event comes later.
            _finish_payment(request, order, "paid", provider_ref=obj.get("payment_intent"))
            services.apply_provider_refund(db, order.id, providers.from_minor(obj.get("amount_refunded") or 0,
                                                                              order.currency), obj.get("id"))
            db.refresh(order)
            outcome = order.status
    db.execute(sa.update(PaymentEvent).where(PaymentEvent.id == event["id"]).values(outcome=outcome[:100]))
    return {"received": True, "duplicate": False, "outcome": outcome}


# --------------------------------------------------------------------------- my orders and tickets


def _my_orders(request):
    event_id = _caller_event(request)
    ident = api.identity(request)
    db = request.dbsession
    stmt = services.orders_query(event_id, buyer_user_id=ident.user_id, status=api.param(request, "status"))
    return api.paginate(request, stmt, lambda rows: services.serialize_orders(db, rows, with_tickets=True))


s_orders = api.service("billetterie-orders", "/api/orders/", "My orders in my event")


s_orders_alias = api.service("billetterie-orders-alias", "/api/payments/orders/", "My orders (seed 004 path)")


@s_orders_alias.get()
@s_orders.get()
def my_orders(request):
    return _my_orders(request)


def _one_order(request):
    token = api.param(request, "token")
    if token is None:
        _caller_event(request)
    return _order_answer(request, _order_for_caller(request, request.matchdict["id"], token))


s_order = api.service("billetterie-order", f"/api/orders/{api.UUID_ID}/", "One of my orders (or a guest's, ?token=)")


s_order_alias = api.service("billetterie-order-alias", f"/api/payments/orders/{api.UUID_ID}/", "One of my orders")


@s_order_alias.get(permission=PUBLIC)
@s_order.get(permission=PUBLIC)
def my_order(request):
    return _one_order(request)


s_order_cancel = api.service("billetterie-order-cancel", f"/api/orders/{api.UUID_ID}/cancel/",
                             "Cancel my pending order (seats go back)")


@s_order_cancel.post(permission=PUBLIC)
def cancel_my_order(request):
    body = api.json_body(request) if request.body else {}
    order = _order_for_caller(request, request.matchdict["id"], body.get("token") or api.param(request, "token"))
    if order.kind == "upgrade":
        locked = services.lock_order(request.dbsession, order.id)
        if locked.status != "pending":
            raise Conflict(f"Only a pending order can be cancelled (this one is {locked.status})", field="status")
        services.release_upgrade(request.dbsession, locked, "cancelled")
    else:
        services.cancel_order(request.dbsession, order)
    return _order_answer(request, order)


s_my_tickets = api.service("billetterie-my-tickets", "/api/tickets/my/", "My tickets in my event")


@s_my_tickets.get()
def my_tickets(request):
    event_id = _caller_event(request)
    db = request.dbsession
    stmt = services.my_tickets_query(api.identity(request).user_id, event_id)
    status = api.param(request, "status")
    if status:
        stmt = stmt.where(Ticket.status == status)
    return api.paginate(request, stmt, lambda rows: services.serialize_tickets(db, rows, with_qr=True))


def _my_ticket(request, staff_ok=True) -> Ticket:
    event_id = _caller_event(request)
    ident = api.identity(request)
    ticket = api.get_or_404(request.dbsession, Ticket, request.matchdict["id"], event_id, label="Ticket")
    if ticket.holder_user_id != ident.user_id and not (staff_ok and ident.is_gestionnaire):
        raise NotFound("Ticket not found", field="id")
    return ticket


s_ticket = api.service("billetterie-ticket", f"/api/tickets/{api.UUID_ID}/", "One of my tickets, with its QR")


@s_ticket.get()
def ticket_detail(request):
    return services.serialize_tickets(request.dbsession, [_my_ticket(request)], with_qr=True)[0]


s_ticket_qr = api.service("billetterie-ticket-qr", f"/api/tickets/{api.UUID_ID}/qr/",
                          "The ticket's QR image: the holder's badge (?format=png|svg)")


@s_ticket_qr.get()
def ticket_qr(request):
    ticket = _my_ticket(request)
    if ticket.status != "valid" or ticket.holder_user_id is None:
        raise Conflict(f"This ticket is {ticket.status}: it has no QR", field="id")
    fmt = api.param(request, "format", default="png")
    if fmt not in qr_images.FORMATS:
        raise Invalid("format: png or svg", field="format")
    data, mime = qr_images.render(badges.qr_payload_string(request.dbsession.get(User, ticket.holder_user_id)), fmt)
    return Response(body=data, content_type=mime)


s_transfers = api.service("billetterie-transfers", "/api/tickets/transfers/", "My transfers (sent and received)")


# --------------------------------------------------------------------------- transfers


@s_transfers.get()
def my_transfers(request):
    event_id = _caller_event(request)
    ident = api.identity(request)
    stmt = (sa.select(Transfer).where(Transfer.event_id == event_id,
                                      sa.or_(Transfer.from_user_id == ident.user_id,
                                             Transfer.to_user_id == ident.user_id,
                                             Transfer.to_email == ident.user.email))
            .order_by(Transfer.created_at.desc(), Transfer.id))
    return api.paginate(request, stmt, _transfers_json)


def _my_ticket_in_body(request, schema):
    """``(event id, identity, validated body, ticket)`` for a body naming one of the caller's
    own tickets (``ticket``); any other ticket is a 404."""
    event_id = _caller_event(request)
    ident = api.identity(request)
    data = api.validate(schema, api.json_body(request))
    ticket = api.get_or_404(request.dbsession, Ticket, data["ticket"], event_id, label="Ticket", field="ticket")
    if ticket.holder_user_id != ident.user_id:
        raise NotFound("Ticket not found", field="ticket")
    return event_id, ident, data, ticket


def _transfers_json(rows):
    return [{"id": str(t.id), "ticket": str(t.ticket_id), "to_email": t.to_email, "to_name": t.to_name,
             "status": t.status, "created_at": t.created_at, "decided_at": t.decided_at} for t in rows]


s_transfer_create = api.service("billetterie-transfer-create", "/api/tickets/transfers/create/",
                                "Offer my ticket to another e-mail")


@s_transfer_create.post(schema=api.doc(schemas.TransferSchema))
def create_transfer(request):
    event_id, ident, data, ticket = _my_ticket_in_body(request, schemas.TransferSchema())
    db = request.dbsession
    transfer, code = services.offer_transfer(db, ticket, ident.user_id, data["email"], data["name"])
    mails.send_transfer_offer(request, transfer, code, db.get(Event, event_id),
                              db.get(TicketType, ticket.ticket_type_id))
    request.response.status = 201
    return _transfers_json([transfer])[0]


s_transfer_cancel = api.service("billetterie-transfer-cancel", f"/api/tickets/transfers/{api.UUID_ID}/cancel/",
                                "Cancel my pending transfer")


@s_transfer_cancel.post()
def cancel_transfer(request):
    event_id = _caller_event(request)
    ident = api.identity(request)
    transfer = api.get_or_404(request.dbsession, Transfer, request.matchdict["id"], event_id, label="Transfer")
    if transfer.from_user_id != ident.user_id and not ident.is_gestionnaire:
        raise NotFound("Transfer not found", field="id")
    return _transfers_json([services.cancel_transfer(request.dbsession, transfer)])[0]


s_transfer_accept = api.service("billetterie-transfer-accept", "/api/tickets/transfers/accept/",
                                "Accept a ticket with the code from the e-mail (logged in or not)")


@s_transfer_accept.post(permission=PUBLIC, schema=api.doc(schemas.AcceptSchema))
def accept_transfer(request):
    request.rate_limiter.hit(request, "password_reset")  # codes are never guessed
    data = api.validate(schemas.AcceptSchema(), api.json_body(request))
    db = request.dbsession
    ident = request.identity
    ticket, code = services.accept_transfer(db, data["code"], ident.user if ident is not None else None)
    event = db.get(Event, ticket.event_id)
    if code:
        from makeplus_core.plugin_api import invitations

        invitations.send_invitation(request, db.get(User, ticket.holder_user_id), code, event)
    mails.send_ticket(request, ticket, note=N_("A ticket was transferred to you."))
    return services.serialize_tickets(db, [ticket])[0]


s_upgrades = api.service("billetterie-upgrades", "/api/tickets/upgrades/", "My upgrade orders")


# --------------------------------------------------------------------------- upgrades


@s_upgrades.get()
def my_upgrades(request):
    event_id = _caller_event(request)
    db = request.dbsession
    stmt = services.orders_query(event_id, buyer_user_id=api.identity(request).user_id).where(Order.kind == "upgrade")
    return api.paginate(request, stmt, lambda rows: services.serialize_orders(db, rows))


s_upgrade_create = api.service("billetterie-upgrade-create", "/api/tickets/upgrades/create/",
                               "Upgrade my ticket: a pending order for the difference")


@s_upgrade_create.post(schema=api.doc(schemas.UpgradeSchema))
def create_upgrade(request):
    event_id, ident, data, ticket = _my_ticket_in_body(request, schemas.UpgradeSchema())
    db = request.dbsession
    target = services.upgrade_target(db, ticket, data["to_type"])
    order = services.create_upgrade(db, request.registry.settings, ticket, target, data["provider"], ident.user,
                                    by_user_id=ident.user_id)
    payment = providers.get(order.provider).start(request, order)
    if order.total == 0:
        _finish_payment(request, order, "paid")
    request.response.status = 201
    return _order_answer(request, order, payment=payment)


s_staff_orders = api.service("billetterie-staff-orders", "/api/tickets/staff/orders/",
                             "Orders of my event (?q=, ?status=) (gestionnaire)")


# --------------------------------------------------------------------------- staff


@s_staff_orders.get()
def staff_orders(request):
    event_id = _gestionnaire(request)
    db = request.dbsession
    stmt = services.orders_query(event_id, q=(api.param(request, "q", "search") or "").strip() or None,
                                 status=api.param(request, "status"))
    return api.paginate(request, stmt, lambda rows: services.serialize_orders(db, rows, with_tickets=True))


def _staff_order(request, raw=None, field="id"):
    event_id = _gestionnaire(request)
    return api.get_or_404(request.dbsession, Order, raw if raw is not None else request.matchdict["id"], event_id,
                          label="Order", field=field)


s_staff_order = api.service("billetterie-staff-order", f"/api/tickets/staff/orders/{api.UUID_ID}/",
                            "One order of my event (gestionnaire)")


@s_staff_order.get()
def staff_order(request):
    return _order_answer(request, _staff_order(request))


s_staff_mark_paid = api.service("billetterie-staff-mark-paid", f"/api/tickets/staff/orders/{api.UUID_ID}/mark-paid/",
                                "Complete an on-site order paid at the venue (gestionnaire)")


@s_staff_mark_paid.post()
def staff_mark_paid(request):
    order = _staff_order(request)
    if order.provider != "onsite":
        raise Conflict("Only on-site orders are paid at the venue", field="id")
    if order.status != "pending":
        raise Conflict(f"This order is {order.status}", field="id")
    done = services.complete_order(request.dbsession, request.registry.settings, order.id,
                                   by_user_id=api.identity(request).user_id)
    if order.kind == "purchase" and not done:
        raise Conflict(order.reason or "This order cannot be completed", field="id")
    mails.after_completion(request, done)
    return _order_answer(request, order)


s_staff_comp = api.service("billetterie-staff-comp", "/api/tickets/staff/comp/", "Issue free tickets (gestionnaire)")


@s_staff_comp.post(schema=api.doc(schemas.CompSchema))
def staff_comp(request):
    event_id = _gestionnaire(request)
    raw = api.json_body(request)
    data = api.validate(schemas.CompSchema(), {k: v for k, v in raw.items() if k != "attendees"} | {"attendees": []})
    db = request.dbsession
    ttype = api.get_or_404(db, TicketType, data["ticket_type"], event_id, label="Ticket type", field="ticket_type")
    done = services.comp(db, request.registry.settings, db.get(Event, event_id), ttype, raw.get("attendees"),
                         data["reason"], api.identity(request).user_id)
    mails.after_completion(request, done, note=N_("You are invited (${reason})."), reason=data["reason"])
    request.response.status = 201
    return _order_answer(request, done.order)


s_staff_refund = api.service("billetterie-staff-refund", "/api/tickets/staff/refund/",
                             "Refund an order or a ticket, full or partial (gestionnaire)")


@s_staff_refund.post(schema=api.doc(schemas.RefundSchema))
def staff_refund(request):
    data = api.validate(schemas.RefundSchema(), api.json_body(request))
    order = _staff_order(request, data["order"], field="order")
    db = request.dbsession
    ticket_id = api.parse_uuid(data["ticket"], "ticket") if data.get("ticket") else None
    key = uuid.uuid4().hex
    row = services.refund(db, order, amount=data.get("amount"), ticket_id=ticket_id, reason=data["reason"],
                          by_user_id=api.identity(request).user_id)
    if order.provider in ("stripe", "test", "onsite"):
        row.provider_ref = providers.get(order.provider).refund(request, order, row.amount, key)
    db.flush()
    body = _order_answer(request, order)
    body["refund"] = {"id": str(row.id), "amount": row.amount, "reason": row.reason, "provider_ref": row.provider_ref}
    return body


s_staff_upgrade = api.service("billetterie-staff-upgrade", "/api/tickets/staff/upgrade/",
                              "Upgrade a ticket (free, or a pending order for the difference) (gestionnaire)")


@s_staff_upgrade.post(schema=api.doc(schemas.StaffUpgradeSchema))
def staff_upgrade(request):
    event_id = _gestionnaire(request)
    data = api.validate(schemas.StaffUpgradeSchema(), api.json_body(request))
    db = request.dbsession
    ticket = api.get_or_404(db, Ticket, data["ticket"], event_id, label="Ticket", field="ticket")
    target = services.upgrade_target(db, ticket, data["to_type"], staff=True)
    holder = db.get(User, ticket.holder_user_id)
    provider = data["provider"] if data["charge"] else "comp"
    order = services.create_upgrade(db, request.registry.settings, ticket, target, provider, holder,
                                    by_user_id=api.identity(request).user_id, free=not data["charge"])
    payment = None
    if data["charge"] and order.total > 0:
        payment = providers.get(order.provider).start(request, order)
    else:
        services.complete_order(db, request.registry.settings, order.id, by_user_id=api.identity(request).user_id)
    request.response.status = 201
    return _order_answer(request, order, payment=payment)


s_staff_resend_tickets = api.service("billetterie-staff-resend-tickets", "/api/tickets/staff/resend-tickets/",
                                     "Mail an order's tickets again (gestionnaire)")


@s_staff_resend_tickets.post(schema=api.doc(schemas.OrderRefSchema))
def staff_resend_tickets(request):
    data = api.validate(schemas.OrderRefSchema(), api.json_body(request))
    order = _staff_order(request, data["order"], field="order")
    tickets = list(request.dbsession.scalars(sa.select(Ticket).where(Ticket.order_id == order.id,
                                                                     Ticket.status == "valid")))
    for t in tickets:
        mails.send_ticket(request, t, resent=True)
    return {"sent": len(tickets)}


s_staff_resend_invoice = api.service("billetterie-staff-resend-invoice", "/api/tickets/staff/resend-invoice/",
                                     "Mail an order's confirmation and invoice again (gestionnaire)")


@s_staff_resend_invoice.post(schema=api.doc(schemas.OrderRefSchema))
def staff_resend_invoice(request):
    data = api.validate(schemas.OrderRefSchema(), api.json_body(request))
    order = _staff_order(request, data["order"], field="order")
    if order.status not in ("paid", "partially_refunded", "refunded") or order.kind != "purchase":
        raise Conflict("Only a paid purchase has an invoice", field="order")
    mails.send_order(request, order, resent=True)
    return {"sent": 1}


s_staff_export = api.service("billetterie-staff-export", "/api/tickets/staff/export/",
                             "Orders and attendees of my event as an Excel file (gestionnaire)")


# duplicates: deliberate — list (paginated JSON) and export (whole Excel file) of the same orders query.
@s_staff_export.get()
def staff_export(request):
    event_id = _gestionnaire(request)
    db = request.dbsession
    orders = list(db.scalars(services.orders_query(event_id)))
    tickets = list(db.execute(sa.select(Ticket, TicketType.name, Order.invoice_number)
                              .join(TicketType, TicketType.id == Ticket.ticket_type_id)
                              .join(Order, Order.id == Ticket.order_id)
                              .where(Ticket.event_id == event_id).order_by(Ticket.created_at, Ticket.id)))
    sheets = [
        Sheet("Orders", ["Order", "Invoice", "Kind", "Status", "Provider", "Buyer", "Buyer e-mail", "Total",
                         "Refunded", "Currency", "Created", "Paid"],
              [[o.id, o.invoice_number or "", o.kind, o.status, o.provider, o.buyer_name, o.buyer_email, o.total,
                o.refunded_amount, o.currency, o.created_at, o.paid_at] for o in orders]),
        Sheet("Attendees", ["Ticket", "Order", "Invoice", "Type", "Attendee", "E-mail", "Status", "Price",
                            "Issued"],
              [[t.id, t.order_id, inv or "", name, t.attendee_name, t.attendee_email, t.status, t.price, t.issued_at]
               for t, name, inv in tickets]),
    ]
    return xlsx_response("billetterie.xlsx", sheets)


# --------------------------------------------------------------------------- door aliases


def _scan(request, record: bool):
    """The core's door (room or event check-in) through its one entry point, ``pipeline.handle``;
    ``/api/scan/validate/`` decides without recording (the transaction is doomed)."""
    body = api.json_body(request)
    if not isinstance(body.get("qr_data"), str):
        raise Invalid("qr_data: required", field="qr_data")
    room = body.get("room") or body.get("room_id")
    door = access_pipeline.RoomDoor(api.parse_uuid(room, "room")) if room else access_pipeline.EventDoor()
    if record:
        response = access_pipeline.handle(request, door, body)
    else:
        request.rate_limiter.hit(request, "scan", user_key=api.identity(request).user_id)
        request.tm.doom()  # decide only: nothing this request wrote is committed
        door.scope(request, body)
        response = access_pipeline.respond(door.run(request, body, None))
    payload = response.json_body
    payload["committed"] = record
    response.json_body = payload
    return response


s_scan_validate = api.service("billetterie-scan-validate", "/api/scan/validate/",
                              "Decide on a badge without recording (alias of the core scan pipeline)")


@s_scan_validate.post(schema=api.doc(schemas.ScanSchema))
def scan_validate(request):
    return _scan(request, record=False)


s_scan_commit = api.service("billetterie-scan-commit", "/api/scan/commit/",
                            "Record a scan (alias of verify_access / participants/scan)")


access_pipeline.door_services(s_scan_commit)  # a scan door: pipeline.handle applies the Idempotency-Key


@s_scan_commit.post(schema=api.doc(schemas.ScanSchema))
def scan_commit(request):
    return _scan(request, record=True)


# --------------------------------------------------------------------------- documents and wallets


class NotConfigured(errors.DomainError):
    """A feature this server is not set up for: 404 with a message naming the settings."""

    status = 404
    code = "not_configured"


def load_wallets(registry) -> None:
    """Read the wallet settings once: a config, ``None`` (not configured) or the
    ``WalletNotConfigured`` to answer with."""
    from . import documents, wallet

    plugin = documents.plugin_settings(registry.settings)
    for name, reader in (("apple", wallet.apple_config_from_settings), ("google", wallet.google_config_from_settings)):
        try:
            registry[f"billetterie.wallet.{name}"] = reader(plugin)
        except wallet.WalletNotConfigured as exc:
            registry[f"billetterie.wallet.{name}"] = exc


def _wallet_config(request, name, label):
    from . import wallet

    cfg = request.registry.get(f"billetterie.wallet.{name}")
    if cfg is None:
        raise NotConfigured(f"{label} is not configured on this server (makeplus.billetterie.{name}.* settings)")
    if isinstance(cfg, wallet.WalletNotConfigured):
        raise NotConfigured(f"{label} is not usable: {cfg}")
    return cfg


def _valid_ticket(request) -> Ticket:
    ticket = _my_ticket(request)
    if ticket.status != "valid" or ticket.holder_user_id is None:
        raise Conflict(f"This ticket is {ticket.status}", field="id")
    return ticket


def _wallet_pass(request, name, label, build):
    """The caller's valid ticket and ``build(ticket data, **wallet config)``; 404 when the
    wallet is not configured or not usable."""
    from . import documents, wallet

    ticket = _valid_ticket(request)
    cfg = _wallet_config(request, name, label)
    try:
        return ticket, build(documents.ticket_data(request.dbsession, ticket), **cfg)
    except wallet.WalletNotConfigured as exc:
        raise NotConfigured(f"{label} is not usable: {exc}") from None


s_wallet_apple = api.service("billetterie-wallet-apple", f"/api/tickets/{api.UUID_ID}/wallet/apple/",
                             "Apple Wallet pass (.pkpass) of my ticket (404 not_configured when not set up)")


@s_wallet_apple.get()
def wallet_apple(request):
    from . import documents, wallet

    ticket, data = _wallet_pass(request, "apple", "Apple Wallet", wallet.build_pkpass)
    resp = Response(body=data, content_type="application/vnd.apple.pkpass")
    resp.content_disposition = f'attachment; filename="{documents.ticket_number(ticket)}.pkpass"'
    return resp


s_wallet_google = api.service("billetterie-wallet-google", f"/api/tickets/{api.UUID_ID}/wallet/google/",
                              "Save to Google Wallet link of my ticket (404 not_configured when not set up)")


@s_wallet_google.get()
def wallet_google(request):
    from . import wallet

    _ticket, link = _wallet_pass(request, "google", "Google Wallet", wallet.google_save_link)
    return {"save_url": link}


s_ticket_pdf = api.service("billetterie-ticket-pdf", f"/api/tickets/{api.UUID_ID}/pdf/",
                           "The ticket as PDF with the holder's badge QR")


@s_ticket_pdf.get()
def ticket_pdf(request):
    from . import documents

    ticket = _valid_ticket(request)
    resp = Response(body=documents.ticket_pdf(request.dbsession, ticket), content_type="application/pdf")
    resp.content_disposition = f'attachment; filename="billet-{documents.ticket_number(ticket)}.pdf"'
    return resp


def _invoice(request):
    from . import documents

    token = api.param(request, "token")
    order = None
    ident = request.identity
    if token is None and ident is not None and ident.is_gestionnaire:
        order = request.dbsession.get(Order, api.parse_uuid(request.matchdict["id"], "id"))
        if order is None or order.event_id != api.require_event(request):
            order = None
    if order is None:
        if token is None:
            _caller_event(request)
        order = _order_for_caller(request, request.matchdict["id"], token)
    if order.status not in ("paid", "partially_refunded", "refunded") or not order.invoice_number:
        raise Conflict(f"This order is {order.status}: it has no invoice", field="id")
    if not documents.plugin_settings(request.registry.settings).get("billetterie.seller.name"):
        raise NotConfigured("Invoices need the seller's details (makeplus.billetterie.seller.name)")
    resp = Response(body=documents.invoice_pdf(request.dbsession, request.registry.settings, order),
                    content_type="application/pdf")
    resp.content_disposition = f'attachment; filename="facture-{order.invoice_number}.pdf"'
    return resp


s_invoice = api.service("billetterie-order-invoice", f"/api/orders/{api.UUID_ID}/invoice/",
                        "The invoice PDF of my paid order (or a guest's, ?token=)")


s_invoice_alias = api.service("billetterie-order-invoice-alias", f"/api/payments/orders/{api.UUID_ID}/invoice/",
                              "The invoice PDF of my paid order (seed 004 path)")


@s_invoice_alias.get(permission=PUBLIC)
@s_invoice.get(permission=PUBLIC)
def invoice(request):
    return _invoice(request)
