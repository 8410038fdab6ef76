"""Excel export of transactions: openpyxl write-only workbook in a temp file, streamed."""
from __future__ import annotations

import datetime as dt
import decimal
import tempfile

import sqlalchemy as sa
from openpyxl import Workbook

from .models import Caisse, Transaction, TransactionItem

HEADERS = ["Date (UTC)", "Transaction", "Caisse", "Participant", "E-mail", "Articles", "Total", "Paiement",
           "Statut", "Notes", "Annulée le (UTC)", "Raison d'annulation", "Annulée par"]
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """Cell value with no formula: text starting like one gets a leading quote."""
    if isinstance(value, str):
        return "'" + value if value.startswith(_DANGEROUS) else value
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return value


def write_xlsx(db, conds, batch: int = 500):
    """Write the matching transactions (newest first) to a temp file; return the open file."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Transactions")
    ws.append(HEADERS)
    names = dict(db.execute(sa.select(Caisse.id, Caisse.name)).all())
    stmt = sa.select(Transaction).where(*conds).order_by(Transaction.created_at.desc(), Transaction.id)
    offset = 0
    while True:
        rows = db.scalars(stmt.limit(batch).offset(offset)).all()
        if not rows:
            break
        lines: dict = {t.id: [] for t in rows}
        for tid, name, price in db.execute(
                sa.select(TransactionItem.transaction_id, TransactionItem.name, TransactionItem.price)
                .where(TransactionItem.transaction_id.in_(list(lines)))
                .order_by(TransactionItem.transaction_id, TransactionItem.name)):
            lines[tid].append(f"{name} ({price})")
        for t in rows:
            ws.append([safe(v) for v in (
                t.created_at, str(t.id), names.get(t.caisse_id, ""), t.participant_name, t.participant_email,
                ", ".join(lines[t.id]), decimal.Decimal(t.total), t.payment_method, t.status, t.notes,
                t.cancelled_at, t.cancelled_reason or "", names.get(t.cancelled_by_caisse_id, ""))])
        offset += batch
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    tmp.seek(0)
    return tmp
