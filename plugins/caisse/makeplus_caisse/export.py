"""Excel export of transactions: the rows, written and streamed by makeplus_core.xlsx."""
from __future__ import annotations

import decimal

import sqlalchemy as sa

from makeplus_core.plugin_api import Sheet

from .models import Caisse, Transaction, TransactionItem

HEADERS = ["Date (UTC)", "Transaction", "Caisse", "Participant", "E-mail", "Articles", "Total", "Paiement",
           "Statut", "Notes", "Annulée le (UTC)", "Raison d'annulation", "Annulée par"]
def transactions_sheet(db, conds, batch: int = 500) -> Sheet:
    """The matching transactions (newest first), fetched in batches as the file is written."""
    return Sheet("Transactions", HEADERS, _rows(db, conds, batch))


def _rows(db, conds, batch):
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
            yield (t.created_at, str(t.id), names.get(t.caisse_id, ""), t.participant_name, t.participant_email,
                   ", ".join(lines[t.id]), decimal.Decimal(t.total), t.payment_method, t.status, t.notes,
                   t.cancelled_at, t.cancelled_reason or "", names.get(t.cancelled_by_caisse_id, ""))
        offset += batch
