"""Caisse tables: cash desks, payable items, transactions and their lines.

Transactions are never deleted (audit trail): a cancellation is a status change
that keeps who cancelled, when and why. Amounts are ``Numeric(12, 2)`` decimals.
"""
from __future__ import annotations

import datetime as dt
import decimal
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from makeplus_core.plugin_api import Base, CreatedAt, Money, Timestamps, UTCDateTime, UUIDKey, event_fk

ITEM_TYPES = ("session", "dinner", "access", "other")
PAYMENT_METHODS = ("cash", "bank_transfer", "mixed")
TRANSACTION_STATUSES = ("completed", "cancelled")


class Caisse(UUIDKey, Timestamps, Base):
    """A cash desk of an event, with its own login (e-mail + password)."""

    __tablename__ = "caisse_caisses"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE", index=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    # Bumped on deactivation / password change: every token of the desk stops at once.
    token_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.UniqueConstraint("email"),)


class Item(UUIDKey, Timestamps, Base):
    """Something a desk can sell: a paid atelier (kept in step with its session) or an extra."""

    __tablename__ = "caisse_items"

    event_id: Mapped[uuid.UUID] = event_fk("CASCADE", index=True)
    item_type: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="other")
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    price: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False, default=decimal.Decimal("0.00"))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="SET NULL"))
    # Stock for non-session items (None: unlimited); sessions use their own capacity.
    capacity: Mapped[int | None] = mapped_column(sa.Integer)
    # A ticket for a room's door (a dinner hall…): while a room has an active item, only
    # holders who bought one are admitted there (the plugin's makeplus_check_access).
    room_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="SET NULL"), index=True)

    __table_args__ = (
        sa.UniqueConstraint("session_id"),  # one item per paid atelier
        sa.CheckConstraint(f"item_type IN {ITEM_TYPES!r}", name="item_type_valid"),
        sa.CheckConstraint("price >= 0", name="price_positive"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
    )


class Transaction(UUIDKey, CreatedAt, Base):
    """One sale at one desk. Never deleted; cancelled with a reason."""

    __tablename__ = "caisse_transactions"

    # RESTRICT: deleting the event never takes its sales with it (the API archives instead).
    event_id: Mapped[uuid.UUID] = event_fk("RESTRICT")
    caisse_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("caisse_caisses.id", ondelete="RESTRICT"),
                                                 nullable=False)
    # SET NULL keeps the sale when an account is erased; the snapshot below keeps who it was.
    participant_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL"))
    participant_name: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    participant_email: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    total: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False)
    payment_method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="completed")
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(sa.Text)
    cancelled_by_caisse_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("caisse_caisses.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (
        sa.UniqueConstraint("caisse_id", "idempotency_key"),
        sa.CheckConstraint(f"payment_method IN {PAYMENT_METHODS!r}", name="payment_method_valid"),
        sa.CheckConstraint(f"status IN {TRANSACTION_STATUSES!r}", name="status_valid"),
        sa.CheckConstraint("total >= 0", name="total_positive"),
        sa.Index("ix_caisse_transactions_event_created", "event_id", "created_at"),
        sa.Index("ix_caisse_transactions_caisse_created", "caisse_id", "created_at"),
        sa.Index("ix_caisse_transactions_participant", "participant_id"),
    )


class TransactionItem(UUIDKey, Base):
    """One line of a sale, with the price at the time of sale."""

    __tablename__ = "caisse_transaction_items"

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("caisse_transactions.id", ondelete="RESTRICT"), nullable=False, index=True)
    item_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("caisse_items.id", ondelete="SET NULL"),
                                                      index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="SET NULL"))
    item_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    price: Mapped[decimal.Decimal] = mapped_column(Money, nullable=False)
    # A line that collects another plugin's order (item_type "order", item_id NULL): its
    # reference for the makeplus_desk_order hook (billetterie: the on-site order's id).
    order_ref: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    __table_args__ = (sa.CheckConstraint("price >= 0", name="price_positive"),)
