"""Mails of the billetterie, built off the request path as background jobs
(``plugin_api.jobs``: inline after commit in development and tests, RQ in production).

* ``billetterie.order_mail``: the buyer's order confirmation;
* ``billetterie.ticket_mail``: each attendee's ticket (their badge QR is the ticket).

A job reads the rows itself (payload: ids), so a retry sends what the database says;
its key (``order:<id>``, ``ticket:<id>:<n>``) makes it run once.
"""
from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import Event, User, invitations, jobs

from .models import Order, Ticket, TicketType

log = logging.getLogger(__name__)


def _base(settings) -> str:
    return (settings.get("makeplus.public_url") or "").rstrip("/")


def _message(subject, sender, to, body, attachments=()):
    from pyramid_mailer.message import Attachment, Message

    msg = Message(subject=subject, sender=sender, recipients=[to], body=body)
    for filename, content_type, data in attachments:
        msg.attach(Attachment(filename, content_type, data))
    return msg


def _sender(settings):
    return settings.get("mail.default_sender", "noreply@makeplus.local")


def order_attachments(db, settings, order, event, tickets):
    """The invoice PDF (when the seller is configured: ``makeplus.billetterie.seller.name``)."""
    from . import documents

    if not documents.plugin_settings(settings).get("billetterie.seller.name") or not order.invoice_number:
        log.warning("order %s: no invoice attached (makeplus.billetterie.seller.name is not set)", order.id)
        return []
    return [(f"facture-{order.invoice_number}.pdf", "application/pdf", documents.invoice_pdf(db, settings, order))]


def ticket_attachments(db, settings, ticket, event, ttype, holder):
    """The ticket PDF with the holder's badge QR."""
    from . import documents

    return [(f"billet-{documents.ticket_number(ticket)}.pdf", "application/pdf", documents.ticket_pdf(db, ticket))]


@jobs.job("billetterie.order_mail")
def order_mail_job(ctx, order_id: str, resent: bool = False) -> None:
    db = ctx.dbsession()
    try:
        order = db.get(Order, uuid.UUID(order_id))
        if order is None or order.status not in ("paid", "partially_refunded", "refunded"):
            return
        event = db.get(Event, order.event_id)
        tickets = list(db.scalars(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at)))
        types = {t.id: t for t in db.scalars(sa.select(TicketType).where(
            TicketType.id.in_({t.ticket_type_id for t in tickets})))} if tickets else {}
        lines = [f"- {types[t.ticket_type_id].name}: {t.attendee_name} <{t.attendee_email}> ({t.price} {order.currency})"
                 for t in tickets if t.ticket_type_id in types]
        body = (f"Hello {order.buyer_name or order.buyer_email},\n\n"
                f"{'Here again is' if resent else 'Thank you for'} your order for {event.name}.\n\n"
                f"Invoice: {order.invoice_number}\nTotal: {order.total} {order.currency}\n\n"
                + "\n".join(lines) +
                "\n\nEach attendee receives their ticket by e-mail: their MakePlus badge QR opens the doors.\n"
                f"Your orders: {_base(ctx.settings)}/api/orders/\n")
        msg = _message(f"{event.name}: order {order.invoice_number}", _sender(ctx.settings), order.buyer_email, body,
                       order_attachments(db, ctx.settings, order, event, tickets))
        ctx.mailer.send_immediately(msg, fail_silently=False)
    finally:
        db.close()


@jobs.job("billetterie.ticket_mail")
def ticket_mail_job(ctx, ticket_id: str, note: str = "") -> None:
    db = ctx.dbsession()
    try:
        ticket = db.get(Ticket, uuid.UUID(ticket_id))
        if ticket is None or ticket.status != "valid":
            return
        event = db.get(Event, ticket.event_id)
        ttype = db.get(TicketType, ticket.ticket_type_id)
        holder = db.get(User, ticket.holder_user_id) if ticket.holder_user_id else None
        body = (f"Hello {ticket.attendee_name},\n\n{note + chr(10) + chr(10) if note else ''}"
                f"Your ticket for {event.name}: {ttype.name}.\n\n"
                "At the door, show your MakePlus badge QR code (in the MakePlus app, or the ticket attached): "
                "one QR per person opens every room your ticket includes.\n")
        msg = _message(f"{event.name}: your ticket ({ttype.name})", _sender(ctx.settings), ticket.attendee_email,
                       body, ticket_attachments(db, ctx.settings, ticket, event, ttype, holder))
        ctx.mailer.send_immediately(msg, fail_silently=False)
    finally:
        db.close()


def send_order(request, order, resent=False):
    key = f"billetterie-order:{order.id}" + (f":resend:{uuid.uuid4().hex}" if resent else "")
    jobs.enqueue(request, "billetterie.order_mail", {"order_id": str(order.id), "resent": resent}, key=key)


def send_ticket(request, ticket, note="", resent=False):
    key = f"billetterie-ticket:{ticket.id}" + (f":resend:{uuid.uuid4().hex}" if resent else "")
    jobs.enqueue(request, "billetterie.ticket_mail", {"ticket_id": str(ticket.id), "note": note}, key=key)


def after_completion(request, completion, note=""):
    """Mails of a completed order: invitations (new/unverified accounts), confirmation, tickets."""
    if not completion:
        return
    db = request.dbsession
    event = db.get(Event, completion.order.event_id)
    for user_id, code in completion.invitations:
        invitations.send_invitation(request, db.get(User, user_id), code, event)
    if completion.order.kind == "purchase":
        send_order(request, completion.order)
    for ticket in completion.tickets:
        send_ticket(request, ticket, note=note)


def send_transfer_offer(request, transfer, code, event, ticket_type):
    from makeplus_core.plugin_api import send_mail

    base = (request.registry.settings.get("makeplus.public_url") or request.application_url).rstrip("/")
    send_mail(request, to=transfer.to_email, subject=f"{event.name}: a ticket is offered to you",
              body=(f"Hello,\n\nA ticket ({ticket_type.name}) for {event.name} is offered to you.\n\n"
                    f"To accept it: POST {base}/api/tickets/transfers/accept/ with the code below "
                    f"(or in the MakePlus app):\n\n{code}\n\nIf you do not expect this, ignore this message."))
