"""Mails of the billetterie, built off the request path as background jobs
(``plugin_api.jobs``: inline after commit in development and tests, RQ in production).

* ``billetterie.order_mail``: the buyer's order confirmation;
* ``billetterie.ticket_mail``: each attendee's ticket (their badge QR is the ticket).

A job reads the rows itself (payload: ids), so a retry sends what the database says;
its key (``order:<id>``, ``ticket:<id>:<n>``) makes it run once.
"""
from __future__ import annotations

import functools
import logging
import uuid

import sqlalchemy as sa

from makeplus_core.plugin_api import Event, User, i18n, invitations, jobs, translate

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


def _translator(lang: str | None):
    """``t("…", name=…)``: a message of this plugin's catalog in ``lang`` (decided when the
    job was enqueued, see :func:`mail_lang`), French when the payload names none."""
    import makeplus_billetterie

    return functools.partial(i18n.job_translate, lang or "fr", makeplus_billetterie)


def mail_lang(request, event, own: bool = False) -> str:
    """README "Languages": a mail the recipient asked for (``own``) is in the language of
    that request when it names one; any other is in the event's language, else French."""
    return i18n.mail_locale(request, own=own, event=event)


@jobs.job("billetterie.order_mail")
def order_mail_job(ctx, order_id: str, resent: bool = False, lang: str | None = None) -> None:
    t = _translator(lang)
    db = ctx.dbsession()
    try:
        order = db.get(Order, uuid.UUID(order_id))
        if order is None or order.status not in ("paid", "partially_refunded", "refunded"):
            return
        event = db.get(Event, order.event_id)
        tickets = list(db.scalars(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at)))
        types = {t.id: t for t in db.scalars(sa.select(TicketType).where(
            TicketType.id.in_({t.ticket_type_id for t in tickets})))} if tickets else {}
        money = functools.partial(i18n.format_money, currency=order.currency, locale=lang or "fr")
        lines = [f"- {types[tk.ticket_type_id].name}: {tk.attendee_name} <{tk.attendee_email}> ({money(tk.price)})"
                 for tk in tickets if tk.ticket_type_id in types]
        intro = (t("Here again is your order for ${event}.", event=event.name) if resent
                 else t("Thank you for your order for ${event}.", event=event.name))
        body = (t("Hello ${name},", name=order.buyer_name or order.buyer_email) + "\n\n" + intro + "\n\n"
                + t("Invoice: ${number}", number=order.invoice_number) + "\n"
                + t("Total: ${total}", total=money(order.total)) + "\n\n"
                + "\n".join(lines) + "\n\n"
                + t("Each attendee receives their ticket by e-mail: their MakePlus badge QR opens the doors.") + "\n"
                + t("Your orders: ${url}", url=f"{_base(ctx.settings)}/api/orders/") + "\n")
        msg = _message(t("${event}: order ${number}", event=event.name, number=order.invoice_number),
                       _sender(ctx.settings), order.buyer_email, body,
                       order_attachments(db, ctx.settings, order, event, tickets))
        ctx.mailer.send_immediately(msg, fail_silently=False)
    finally:
        db.close()


@jobs.job("billetterie.ticket_mail")
def ticket_mail_job(ctx, ticket_id: str, note: str = "", lang: str | None = None) -> None:
    t = _translator(lang)
    db = ctx.dbsession()
    try:
        ticket = db.get(Ticket, uuid.UUID(ticket_id))
        if ticket is None or ticket.status != "valid":
            return
        event = db.get(Event, ticket.event_id)
        ttype = db.get(TicketType, ticket.ticket_type_id)
        holder = db.get(User, ticket.holder_user_id) if ticket.holder_user_id else None
        body = (t("Hello ${name},", name=ticket.attendee_name) + "\n\n" + (note + "\n\n" if note else "")
                + t("Your ticket for ${event}: ${type}.", event=event.name, type=ttype.name) + "\n\n"
                + t("At the door, show your MakePlus badge QR code (in the MakePlus app, or the ticket attached): "
                    "one QR per person opens every room your ticket includes.") + "\n")
        msg = _message(t("${event}: your ticket (${type})", event=event.name, type=ttype.name),
                       _sender(ctx.settings), ticket.attendee_email,
                       body, ticket_attachments(db, ctx.settings, ticket, event, ttype, holder))
        ctx.mailer.send_immediately(msg, fail_silently=False)
    finally:
        db.close()


def send_order(request, order, resent=False, own=False):
    """The buyer's confirmation: in the language of the buyer's own request (``own``) when it
    names one, else the event's language, else French."""
    key = f"billetterie-order:{order.id}" + (f":resend:{uuid.uuid4().hex}" if resent else "")
    lang = mail_lang(request, request.dbsession.get(Event, order.event_id), own=own)
    jobs.enqueue(request, "billetterie.order_mail", {"order_id": str(order.id), "resent": resent, "lang": lang},
                 key=key)


def send_ticket(request, ticket, note="", resent=False, **mapping):
    """An attendee's ticket (someone else than the caller): the event's language, else French.
    ``note`` is an English msgid of this plugin's catalog, ``${name}`` filled from ``mapping``."""
    key = f"billetterie-ticket:{ticket.id}" + (f":resend:{uuid.uuid4().hex}" if resent else "")
    lang = mail_lang(request, request.dbsession.get(Event, ticket.event_id))
    note = translate(request, note, locale=lang, **mapping) if note else ""
    jobs.enqueue(request, "billetterie.ticket_mail", {"ticket_id": str(ticket.id), "note": note, "lang": lang},
                 key=key)


def after_completion(request, completion, note="", own=False, **mapping):
    """Mails of a completed order: invitations (new/unverified accounts), confirmation, tickets.
    ``own``: the buyer's own request completed it (their language may be the request's)."""
    if not completion:
        return
    db = request.dbsession
    event = db.get(Event, completion.order.event_id)
    for user_id, code in completion.invitations:
        invitations.send_invitation(request, db.get(User, user_id), code, event)
    if completion.order.kind == "purchase":
        send_order(request, completion.order, own=own)
    for ticket in completion.tickets:
        send_ticket(request, ticket, note=note, **mapping)


def send_transfer_offer(request, transfer, code, event, ticket_type):
    """Sent to someone else than the caller: the event's language, else French."""
    from makeplus_core.plugin_api import send_mail

    base = (request.registry.settings.get("makeplus.public_url") or request.application_url).rstrip("/")
    t = functools.partial(translate, request, locale=mail_lang(request, event))
    send_mail(request, to=transfer.to_email, subject=t("${event}: a ticket is offered to you", event=event.name),
              body=(t("Hello,") + "\n\n"
                    + t("A ticket (${type}) for ${event} is offered to you.", type=ticket_type.name, event=event.name)
                    + "\n\n"
                    + t("To accept it: POST ${url} with the code below (or in the MakePlus app):",
                        url=f"{base}/api/tickets/transfers/accept/")
                    + f"\n\n{code}\n\n" + t("If you do not expect this, ignore this message.")))
