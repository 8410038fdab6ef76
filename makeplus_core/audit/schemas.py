"""Filters of ``GET /api/audit-log/`` (the scan journal reads dates the same way)."""
from __future__ import annotations

import datetime as dt

from .. import errors


def parse_when(value, field: str, end: bool = False):
    """ISO date or datetime (naive = UTC). A bare date as ``date_to`` covers the whole day."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            return start + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if end else start
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise errors.Invalid(f"{field}: not a valid date or datetime", field=field) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
