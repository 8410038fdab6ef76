"""Which database errors are the client's fault, and how to answer them without SQL.

Validation happens before any flush, so these are a safety net: a write refused by a
constraint the schemas did not check. ``classify`` maps a SQLAlchemy ``DBAPIError`` to
a domain error (409 for a uniqueness or foreign-key conflict, 400 for a CHECK, NOT NULL
or a value the column cannot hold), or ``None`` for a real server fault (connection
lost, syntax error…), which stays a 500.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from . import errors

# PostgreSQL SQLSTATE codes (class 23: integrity, class 22: data)
UNIQUE, FOREIGN_KEY, CHECK, NOT_NULL = "23505", "23503", "23514", "23502"
_SQLITE = re.compile(r"^(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed(?::\s*(.*))?$", re.I)
_CONSTRAINT_PREFIX = re.compile(r"^(ck|uq|fk)_")


def _details(exc: sa.exc.DBAPIError) -> tuple[str | None, str | None, str | None]:
    """``(kind, column, constraint)`` of an integrity error, as far as the driver says."""
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        diag = getattr(orig, "diag", None)
        kind = {UNIQUE: "unique", FOREIGN_KEY: "foreign_key", CHECK: "check", NOT_NULL: "not_null"}.get(sqlstate)
        return kind, getattr(diag, "column_name", None), getattr(diag, "constraint_name", None)
    match = _SQLITE.match(str(orig).strip())
    if not match:
        return None, None, None
    kind = match.group(1).lower().replace(" ", "_")
    target = (match.group(2) or "").strip()
    if kind in ("unique", "not_null") and target:
        return kind, target.split(",")[-1].strip().split(".")[-1], None
    return kind, None, target or None


def _field(column: str | None, constraint: str | None) -> str | None:
    if column:
        return column
    if constraint:
        return _CONSTRAINT_PREFIX.sub("", constraint)
    return None


def classify(exc: sa.exc.DBAPIError) -> errors.DomainError | None:
    if isinstance(exc, sa.exc.IntegrityError):
        kind, column, constraint = _details(exc)
        field = _field(column, constraint)
        if kind in ("unique", "foreign_key") or kind is None:
            what = {"unique": "already exists", "foreign_key": "refers to something that no longer exists"}
            message = f"{field or 'the record'}: {what.get(kind, 'conflicts with existing data')}"
            return errors.Conflict(message, field=field)
        return errors.Invalid(f"{field or 'body'}: the value is not allowed ({kind.replace('_', ' ')})",
                              field=field or "body")
    if isinstance(exc, sa.exc.DataError):
        return errors.Invalid("body: a value cannot be stored (out of range or invalid)", field="body")
    return None
