"""Excel downloads, one way for the core and every plugin.

``xlsx_response(filename, [Sheet(title, headers, rows), …])`` writes an openpyxl
write-only workbook to a temporary file and streams it (rows may be a generator:
the whole table is never held in memory).

Formula injection: every text cell is written with the explicit string type, so a
value such as ``=HYPERLINK("http://x")`` is stored exactly as typed and never
evaluated; text that *looks* like a formula (starting with ``= + - @``, tab or CR)
also gets Excel's ``quotePrefix`` so it stays text when someone edits the cell.
Aware datetimes become naive UTC (openpyxl rejects tz-aware values); decimals are
written as numbers; UUIDs as text.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import tempfile
import uuid
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from pyramid.response import FileIter, Response

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass
class Sheet:
    title: str
    headers: list
    rows: Iterable


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def plain(value):
    """The value as openpyxl can store it (naive UTC datetimes, numbers, text)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def cell(ws, value) -> WriteOnlyCell:
    value = plain(value)
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # text, never a formula
        if looks_like_formula(value):
            c.quotePrefix = True
    elif isinstance(value, dt.datetime):
        c.number_format = "yyyy-mm-dd hh:mm:ss"
    return c


def write_workbook(sheets: list[Sheet]):
    """Write ``sheets`` to a temporary file; returns the open file (at 0) and its size."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(title=(sheet.title or "Sheet")[:31])
        ws.append([cell(ws, h) for h in sheet.headers])
        for row in sheet.rows:
            ws.append([cell(ws, v) for v in row])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    size = out.tell()
    out.seek(0)
    return out, size


def xlsx_response(filename: str, sheets: list[Sheet]) -> Response:
    out, size = write_workbook(sheets)
    resp = Response(content_type=MIME, app_iter=FileIter(out))
    resp.content_length = size
    resp.content_disposition = f'attachment; filename="{filename}"'
    return resp
