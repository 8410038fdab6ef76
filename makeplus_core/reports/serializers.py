"""JSON of report rows: the rows of :mod:`.services` with money as the seed writes it."""
from __future__ import annotations

from .. import api


def report_json(rows: list[dict]) -> list[dict]:
    """The report rows, ``revenue`` as a two-decimal string (``"5000.00"``)."""
    for row in rows:
        row["revenue"] = api.money(row["revenue"])
    return rows
