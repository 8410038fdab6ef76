"""Excel answers: openpyxl write-only workbook, saved to a temp file, then streamed."""
from __future__ import annotations

import datetime as dt
import os
import tempfile

from openpyxl import Workbook
from pyramid.response import FileIter, Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value safe for a cell: no formula ever runs, datetimes naive UTC."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def xlsx_response(filename: str, title: str, header, rows) -> Response:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    ws.append([cell(h) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
        fh = open(path, "rb")
    finally:
        os.unlink(path)  # the open handle keeps the data readable (POSIX)
    size = os.fstat(fh.fileno()).st_size
    resp = Response(content_type=XLSX)
    resp.app_iter = FileIter(fh)
    resp.content_length = size
    resp.content_disposition = f'attachment; filename="{filename}"'
    return resp
