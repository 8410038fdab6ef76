"""Excel export of leads: the rows, written and streamed by :mod:`makeplus_core.xlsx`
(text cells never run as formulas; datetimes naive UTC)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from makeplus_core.plugin_api import Participant, Sheet, User

from .models import ExposantScan

HEADERS = ["Name", "First name", "Last name", "Email", "Organization", "Job title", "Phone",
           "First visit (UTC)", "Last visit (UTC)", "Visits", "Notes"]
EXPOSANT_HEADERS = ["Exposant", "Exposant organization"]
def _name(first, last, username):
    return f"{first or ''} {last or ''}".strip() or username


def leads_sheet(db, event_id, exposant_id=None, batch: int = 500) -> Sheet:
    """One row per lead (visitor) of ``exposant_id``, or of every exposant of the event
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

    headers = (EXPOSANT_HEADERS if all_booths else []) + HEADERS

    def rows():
        offset = 0
        while True:
            batch_rows = db.execute(stmt.limit(batch).offset(offset)).all()
            if not batch_rows:
                break
            for r in batch_rows:
                values = [_name(r.first_name, r.last_name, r.username), r.first_name or "", r.last_name or "",
                          r.email or "", r.organization or "", r.job_title or "", r.phone or "",
                          r.scanned_at, r.last_scanned_at, r.visit_count, r.notes or ""]
                if all_booths:
                    values = [_name(r.e_first, r.e_last, r.e_username), r.e_org or ""] + values
                yield values
            offset += batch

    return Sheet("Leads", headers, rows())
