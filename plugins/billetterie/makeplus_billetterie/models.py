"""Billetterie tables (names start with ``billetterie_``).

* ``billetterie_ticket_types``: what an event sells (price, stock, sale window, what it
  includes). ``taken`` counts the seats reserved by pending orders plus the tickets
  issued; it only moves through one conditional ``UPDATE`` (never oversold).
* ``billetterie_orders``: one purchase (or upgrade, or comp), its payment provider and
  state; never deleted.
* ``billetterie_tickets``: one admission per attendee; the door reads them
  (``makeplus_check_access``).
* ``billetterie_transfers``: a ticket offered to another e-mail.
* ``billetterie_payment_events``: provider events already processed (Stripe's event
  ids): exactly-once processing of webhooks.
* ``billetterie_refunds``: refunds, full or partial, with their reason.
* ``billetterie_counters``: the per-event invoice number sequence.
"""
from __future__ import annotations

import datetime as dt
import decimal
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, CreatedAt, Money, Timestamps, UTCDateTime, UUIDKey, event_fk, utcnow

ORDER_STATUSES = ("pending", "paid", "failed", "expired", "cancelled", "refunded", "partially_refunded")
ORDER_KINDS = ("purchase", "upgrade", "comp")
PROVIDERS = ("test", "stripe", "onsite", "comp")
TICKET_STATUSES = ("reserved", "valid", "refunded", "transferred", "upgraded", "cancelled")
TRANSFER_STATUSES = ("pending", "accepted", "cancelled")


class TicketType(UUIDKey, Timestamps, Base):
    __tablename__ = "billetterie_ticket_types"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE", index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    price: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False, default=decimal.Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="DZD")
    quantity: Mapped[int | None] = mapped_column(sa.Integer)  # None: unlimited
    taken: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    per_order_limit: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=10)
    sale_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sale_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_visible: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    transferable: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Lists of ids (JSON): rooms admitted (empty: every room), paid ateliers included,
    # types this one may be upgraded to.
    room_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    session_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    upgradable_to: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "name", name="uq_billetterie_ticket_types_event_name"),
        sa.CheckConstraint("price >= 0", name="price_positive"),
        sa.CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_positive"),
        sa.CheckConstraint("taken >= 0", name="taken_positive"),
        sa.CheckConstraint("quantity IS NULL OR taken <= quantity", name="never_oversold"),
        sa.CheckConstraint("per_order_limit >= 1", name="per_order_limit_positive"),
    )


class Order(UUIDKey, CreatedAt, Base):
    __tablename__ = "billetterie_orders"

    event_id: Mapped[uuid.UUID] = event_fk("RESTRICT")
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="purchase")
    buyer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    buyer_email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    buyer_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    provider: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    total: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False)
    refunded_amount: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False, default=decimal.Decimal("0.00"))
    # An upgrade order: the ticket and the type it moves to.
    upgrade_ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)  # no FK: tickets reference orders
    upgrade_type_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("billetterie_ticket_types.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    invoice_number: Mapped[str | None] = mapped_column(sa.String(40))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))
    # A guest buyer's order token (hash): confirm and read the order without an account.
    guest_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The seats of a pending order went back to stock (expired, failed, cancelled).
    released: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status_valid"),
        sa.CheckConstraint(f"kind IN {ORDER_KINDS!r}", name="kind_valid"),
        sa.CheckConstraint(f"provider IN {PROVIDERS!r}", name="provider_valid"),
        sa.CheckConstraint("total >= 0", name="total_positive"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= total", name="refund_in_range"),
        sa.UniqueConstraint("event_id", "invoice_number", name="uq_billetterie_orders_invoice"),
        sa.UniqueConstraint("event_id", "buyer_email", "idempotency_key", name="uq_billetterie_orders_idem"),
        sa.Index("ix_billetterie_orders_event_created", "event_id", "created_at"),
        sa.Index("ix_billetterie_orders_buyer", "buyer_user_id"),
        sa.Index("ix_billetterie_orders_provider_ref", "provider_ref"),
        sa.Index("ix_billetterie_orders_pending", "status", "expires_at"),
    )


class Ticket(UUIDKey, Timestamps, Base):
    __tablename__ = "billetterie_tickets"

    event_id: Mapped[uuid.UUID] = event_fk("RESTRICT")
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("billetterie_orders.id", ondelete="RESTRICT"), nullable=False, index=True)
    ticket_type_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("billetterie_ticket_types.id", ondelete="RESTRICT"), nullable=False, index=True)
    holder_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    attendee_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    attendee_email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="reserved")
    price: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False)
    refunded_amount: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False, default=decimal.Decimal("0.00"))
    status_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {TICKET_STATUSES!r}", name="status_valid"),
        sa.Index("ix_billetterie_tickets_holder_event", "holder_user_id", "event_id"),
        sa.Index("ix_billetterie_tickets_event_email", "event_id", "attendee_email"),
    )


class Transfer(UUIDKey, CreatedAt, Base):
    __tablename__ = "billetterie_transfers"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE")
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("billetterie_tickets.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    from_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    to_email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    to_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    code_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint(f"status IN {TRANSFER_STATUSES!r}", name="status_valid"),)


class Refund(UUIDKey, CreatedAt, Base):
    __tablename__ = "billetterie_refunds"

    order_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("billetterie_orders.id", ondelete="RESTRICT"),
                                                nullable=False, index=True)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("billetterie_tickets.id",
                                                                      ondelete="SET NULL"))
    amount: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (sa.CheckConstraint("amount >= 0", name="amount_positive"),)


class PaymentEvent(Base):
    """A provider event processed once (its id is the key)."""

    __tablename__ = "billetterie_payment_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    order_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("billetterie_orders.id",
                                                                     ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Counter(Base):
    __tablename__ = "billetterie_counters"

    event_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    last_invoice: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
