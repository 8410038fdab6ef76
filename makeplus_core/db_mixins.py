"""Declarative mixins for the columns most tables share (plugins get them from plugin_api).

* :class:`UUIDKey`: ``id``, a UUID primary key made by :func:`~makeplus_core.db.new_uuid`;
* :class:`CreatedAt`: ``created_at`` (UTC, set on insert);
* :class:`Timestamps`: ``created_at`` and ``updated_at`` (UTC, set on insert, ``updated_at``
  on every update too);
* :func:`event_fk`: the ``event_id`` column (``events.id``, NOT NULL); its ``ondelete``
  says whether deleting the event takes the rows with it (``"CASCADE"``) or is refused
  while rows exist (``"RESTRICT"``: sales, orders…); extra keywords (``index=True``,
  ``unique=True``) go to :func:`~sqlalchemy.orm.mapped_column`.

They declare exactly the columns the tables had before (the migrations are unchanged:
``tests/test_migrations.py`` compares the models with them)::

    class Order(UUIDKey, CreatedAt, Base):
        __tablename__ = "billetterie_orders"
        event_id: Mapped[uuid.UUID] = event_fk("RESTRICT")
"""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, new_uuid, utcnow


class UUIDKey:
    # sort_order: the first column, as when each table declared it itself.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid, sort_order=-1)


class CreatedAt:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Timestamps(CreatedAt):
    # created_at (declared again) comes before updated_at in the table, as before.
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


def event_fk(ondelete: str = "CASCADE", **kwargs):
    """``event_id``: a NOT NULL foreign key to ``events.id`` with this ``ondelete``."""
    return mapped_column(sa.ForeignKey("events.id", ondelete=ondelete), nullable=False, **kwargs)
