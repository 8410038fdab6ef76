"""Excel downloads: an openpyxl write-only workbook saved to a temporary file, then
streamed. Text that a spreadsheet would run as a formula (starting with = + - @, tab
or carriage return) is prefixed with a single quote; aware datetimes become naive UTC
(openpyxl rejects tz-aware values)."""
from __future__ import annotations

import datetime as dt
import decimal
import tempfile
import uuid

from openpyxl import Workbook
from pyramid.response import FileIter, Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def xlsx_response(filename: str, sheet_title: str, headers: list[str], rows) -> Response:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31])
    ws.append(headers)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    size = tmp.tell()
    tmp.seek(0)
    resp = Response(content_type=XLSX, app_iter=FileIter(tmp))
    resp.content_length = size
    resp.content_disposition = f'attachment; filename="{filename}"'
    return resp
