"""Excel export of leads: openpyxl write_only workbook in a temp file, streamed.

Formula injection: every text cell is written with the explicit string data type
(``t="s"``), so a visitor named ``=HYPERLINK("http://x")`` is stored and read back
exactly as typed, as text; no spreadsheet evaluates it. Datetimes are naive UTC.
"""
from __future__ import annotations

import datetime as dt
import tempfile

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import aliased

from makeplus_core.auth.models import User
from makeplus_core.participants.models import Participant

from .models import ExposantScan

HEADERS = ["Name", "First name", "Last name", "Email", "Organization", "Job title", "Phone",
           "First visit (UTC)", "Last visit (UTC)", "Visits", "Notes"]
EXPOSANT_HEADERS = ["Exposant", "Exposant organization"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(ws, value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the first character
    return cell


def _name(first, last, username):
    return f"{first or ''} {last or ''}".strip() or username


def write_leads(db, event_id, exposant_id=None, batch: int = 500):
    """An open temp file with the .xlsx (at position 0) and its size.

    One row per lead (visitor) of ``exposant_id``, or of every exposant of the event
    when it is ``None`` (then the first columns name the exposant).
    """
    vp, vu = aliased(Participant), aliased(User)
    ep, eu = aliased(Participant), aliased(User)
    all_booths = exposant_id is None
    stmt = (sa.select(ExposantScan.id, ExposantScan.scanned_at, ExposantScan.last_scanned_at,
                      ExposantScan.visit_count, ExposantScan.notes,
                      vu.first_name, vu.last_name, vu.username, vu.email, vu.organization, vu.job_title, vu.phone,
                      eu.first_name.label("e_first"), eu.last_name.label("e_last"),
                      eu.username.label("e_username"), eu.organization.label("e_org"))
            .join(vp, vp.id == ExposantScan.scanned_participant_id).join(vu, vu.id == vp.user_id)
            .join(ep, ep.id == ExposantScan.exposant_id).join(eu, eu.id == ep.user_id)
            .where(ExposantScan.event_id == event_id))
    if not all_booths:
        stmt = stmt.where(ExposantScan.exposant_id == exposant_id)
    stmt = stmt.order_by(eu.last_name, eu.first_name, ExposantScan.exposant_id,
                         ExposantScan.scanned_at, ExposantScan.id)

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Leads")
    headers = (EXPOSANT_HEADERS if all_booths else []) + HEADERS
    ws.append([_cell(ws, h) for h in headers])
    offset = 0
    while True:
        rows = db.execute(stmt.limit(batch).offset(offset)).all()
        if not rows:
            break
        for r in rows:
            values = [_name(r.first_name, r.last_name, r.username), r.first_name or "", r.last_name or "",
                      r.email or "", r.organization or "", r.job_title or "", r.phone or "",
                      r.scanned_at, r.last_scanned_at, r.visit_count, r.notes or ""]
            if all_booths:
                values = [_name(r.e_first, r.e_last, r.e_username), r.e_org or ""] + values
            ws.append([_cell(ws, v) for v in values])
        offset += batch
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    size = tmp.tell()
    tmp.seek(0)
    return tmp, size
