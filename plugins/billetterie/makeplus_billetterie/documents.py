"""From rows to the documents of ``pdfs`` and ``wallet``: the invoice of an order, the
ticket PDF and the wallet passes of a ticket.

Settings: the INI keys are ``makeplus.billetterie.<key>`` like every plugin setting
(``makeplus.billetterie.seller.name``, ``…invoice.taxes``, ``…apple.cert``,
``…google.issuer_id``); :func:`plugin_settings` hands them to ``pdfs``/``wallet``
under the names those modules read (``billetterie.<key>``).
"""
from __future__ import annotations

import sqlalchemy as sa

from makeplus_core.plugin_api import Event, Room, Session, User, badges

from . import pdfs
from .models import Order, Refund, Ticket, TicketType

PREFIX = "makeplus."


def plugin_settings(settings) -> dict:
    """``billetterie.*`` keys from ``makeplus.billetterie.*`` (the INI's names)."""
    return {k[len(PREFIX):]: v for k, v in settings.items() if k.startswith(PREFIX + "billetterie.")}


def ticket_number(ticket: Ticket) -> str:
    return f"T-{ticket.id.hex[:10].upper()}"


def invoice_data(db, settings, order: Order) -> dict:
    """The ``pdfs.invoice_pdf`` dict of a paid order (its lines grouped by ticket type)."""
    plugin = plugin_settings(settings)
    tickets = list(db.scalars(sa.select(Ticket).where(Ticket.order_id == order.id).order_by(Ticket.created_at,
                                                                                           Ticket.id)))
    types = {t.id: t for t in db.scalars(sa.select(TicketType).where(
        TicketType.id.in_({t.ticket_type_id for t in tickets} | {order.upgrade_type_id} - {None})))}
    lines = []
    if order.kind == "upgrade":
        target = types.get(order.upgrade_type_id)
        lines.append({"description": f"Surclassement vers {target.name if target else '?'}", "quantity": 1,
                      "unit_price": order.total})
    else:
        grouped: dict = {}
        for t in tickets:
            if t.status_reason.startswith("transferred from"):
                continue  # the transferee's ticket: the same sale
            key = (t.ticket_type_id, t.price)
            grouped[key] = grouped.get(key, 0) + 1
        for (type_id, price), n in grouped.items():
            lines.append({"description": f"Billet {types[type_id].name}", "quantity": n, "unit_price": price})
    refunded = db.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount), 0)).where(Refund.order_id == order.id))
    event = db.get(Event, order.event_id)
    footer = str(plugin.get("billetterie.invoice.footer") or "").strip()
    if refunded:
        footer = (footer + "\n" if footer else "") + f"Remboursé : {refunded} {order.currency}"
    return {
        "number": order.invoice_number, "date": order.paid_at or order.created_at, "currency": order.currency,
        "seller": pdfs.seller_from_settings(plugin), "buyer": {"name": order.buyer_name, "email": order.buyer_email},
        "lines": lines, "taxes": pdfs.taxes_from_settings(plugin),
        "prices_include_tax": pdfs.prices_include_tax(plugin), "order_reference": f"{event.name} · {order.id}",
        "payment": {"method": {"stripe": "Carte (Stripe)", "onsite": "Sur place", "test": "Test"}.get(
            order.provider, order.provider), "paid_at": order.paid_at, "reference": order.provider_ref or ""},
        "footer": footer,
    }


def invoice_pdf(db, settings, order: Order) -> bytes:
    return pdfs.invoice_pdf(invoice_data(db, settings, order))


def ticket_data(db, ticket: Ticket) -> dict:
    """The dict ``pdfs.ticket_pdf`` and the wallet passes share."""
    event = db.get(Event, ticket.event_id)
    ttype = db.get(TicketType, ticket.ticket_type_id)
    holder = db.get(User, ticket.holder_user_id) if ticket.holder_user_id else None
    includes = []
    if ttype.room_ids:
        includes += list(db.scalars(sa.select(Room.name).where(Room.id.in_([_u(x) for x in ttype.room_ids]))
                                    .order_by(Room.name)))
    if ttype.session_ids:
        includes += list(db.scalars(sa.select(Session.title).where(Session.id.in_([_u(x) for x in ttype.session_ids]))
                                    .order_by(Session.start_time)))
    return {
        "id": str(ticket.id), "serial_number": str(ticket.id), "event_name": event.name,
        "attendee_name": ticket.attendee_name, "attendee_email": ticket.attendee_email, "ticket_type": ttype.name,
        "ticket_number": ticket_number(ticket), "barcode": badges.qr_payload_string(holder) if holder else "",
        "starts_at": event.start_date, "ends_at": event.end_date, "relevant_date": event.start_date,
        "venue": event.location or "", "organization_name": event.organizer_name or event.name,
        "description": f"Billet {event.name}", "order_reference": str(ticket.order_id), "includes": includes,
        "voided": ticket.status != "valid", "state": "ACTIVE" if ticket.status == "valid" else "INACTIVE",
    }


def ticket_pdf(db, ticket: Ticket) -> bytes:
    return pdfs.ticket_pdf(ticket_data(db, ticket))


def _u(value):
    import uuid

    return uuid.UUID(str(value))
