"""The event check-in's writes in one round trip (PostgreSQL): the journal row and the
participant's first check-in, ``WITH ins AS (INSERT … RETURNING id), upd AS (UPDATE
participants … WHERE NOT is_checked_in AND EXISTS (SELECT FROM ins) RETURNING id) SELECT …``.

Two statements became one (issue 20): the same rows as the pipeline's ``record`` followed by
its conditional ``UPDATE``. The update's ``is_checked_in IS false`` keeps the check-in
happening once under any concurrency (a concurrent update waits for the row lock, then
finds it checked in), and a scan id already journaled (``ON CONFLICT DO NOTHING``: the
retry of an idempotent scan) inserts nothing and so checks nobody in.
"""
from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from zope.sqlalchemy import mark_changed

from ..db import RawSelect
from ..participants.models import Participant
from .models import RoomAccess


@functools.cache
def _query(keyed: bool) -> RawSelect:
    journal = RoomAccess.__table__
    ins = postgresql.insert(journal).values({c.name: sa.bindparam(c.name, type_=c.type) for c in journal.c})
    if keyed:
        ins = ins.on_conflict_do_nothing(index_elements=["verified_by_id", "scan_id"])
    ins = ins.returning(journal.c.id).cte("ins")
    people = Participant.__table__
    upd = (sa.update(people)
           .where(people.c.id == sa.bindparam("check_in_id", type_=people.c.id.type),
                  people.c.is_checked_in.is_(False), sa.exists(sa.select(ins.c.id)))
           .values(is_checked_in=True, checked_in_at=sa.bindparam("access_time", type_=journal.c.access_time.type))
           .returning(people.c.id).cte("upd"))
    return RawSelect(sa.select(sa.select(ins.c.id).scalar_subquery().label("recorded_id"),
                               sa.exists(sa.select(upd.c.id)).label("first")))


def record_check_in(db, values: dict, participant_id) -> tuple[bool, bool]:
    """Insert the journal row ``values`` (``RoomAccess`` columns) and, when it was inserted
    and ``participant_id`` is not ``None``, check the participant in at ``access_time`` unless
    already checked in. One statement, in the request's transaction (PostgreSQL only).
    Returns ``(recorded, first)``: ``recorded`` False when the scan id was already journaled
    (nothing written), ``first`` True when this scan checked the participant in."""
    row = _query(values["scan_id"] is not None).first(db.connection(), {**values, "check_in_id": participant_id})
    mark_changed(db)
    return row.recorded_id is not None, bool(row.first)
