"""Exports built in the background: request one, follow it, download the file.

A request creates an :class:`ExportJob` row (``pending``) and enqueues the
``export.build`` job after commit; the job (a ``makeplus-worker`` in production, the
web process after the commit in development) writes the workbook under
``makeplus.exports_root`` (default: ``exports/`` beside the storage root; never
served as a static file) and marks the row ``done`` (or ``failed`` with the error, and
RQ retries it). Files are read back only through the authenticated download view.
"""
from __future__ import annotations

import os
import pathlib
import secrets
import shutil
import uuid

import sqlalchemy as sa

from .. import errors
from ..access.export import scan_journal_sheet
from ..db import utcnow
from ..jobs import enqueue, job
from ..participants.export import participants_sheet
from ..storage import storage_root
from ..xlsx import write_workbook
from .models import ExportJob

# kind -> (sheet builder(db, event_id), file name prefix)
KINDS = {"participants": (participants_sheet, "participants"), "scans": (scan_journal_sheet, "scans")}


def exports_root(settings) -> pathlib.Path:
    configured = settings.get("makeplus.exports_root")
    if configured:
        return pathlib.Path(configured)
    media = storage_root(type("R", (), {"settings": settings})())
    return media.resolve().parent / "exports"


def request_export(request, db, event_id, user_id: int, kind: str) -> ExportJob:
    if kind not in KINDS:
        raise errors.Invalid(f"kind: one of {', '.join(sorted(KINDS))}", field="kind")
    exp = ExportJob(event_id=event_id, requested_by_id=user_id, kind=kind, status="pending")
    db.add(exp)
    db.flush()
    enqueue(request, "export.build", {"export_id": str(exp.id)}, key=f"export:{exp.id}")
    return exp


def get_export(db, export_id, event_id) -> ExportJob:
    try:
        oid = uuid.UUID(str(export_id))
    except ValueError:
        raise errors.NotFound("Export not found", field="id") from None
    exp = db.get(ExportJob, oid)
    if exp is None or exp.event_id != event_id:
        raise errors.NotFound("Export not found", field="id")
    return exp


def download_name(exp: ExportJob) -> str:
    return f"{KINDS[exp.kind][1]}-{exp.event_id}.xlsx"


def file_path(settings, exp: ExportJob) -> pathlib.Path:
    return exports_root(settings) / exp.file_name


@job("export.build")
def build_export(ctx, export_id: str) -> None:
    """Write the workbook of export ``export_id`` (skipped when already done)."""
    db = ctx.dbsession()
    try:
        exp = db.get(ExportJob, uuid.UUID(export_id))
        if exp is None or exp.status == "done":
            return
        exp.status = "running"
        db.commit()
        builder, _ = KINDS[exp.kind]
        try:
            out, size = write_workbook([builder(db, exp.event_id)])
            root = exports_root(ctx.settings)
            root.mkdir(parents=True, exist_ok=True)
            name = f"{exp.id}-{secrets.token_hex(8)}.xlsx"
            tmp = root / (name + ".part")
            with out, open(tmp, "wb") as target:
                shutil.copyfileobj(out, target)
            os.replace(tmp, root / name)
        except Exception as exc:
            db.rollback()
            exp = db.get(ExportJob, uuid.UUID(export_id))
            exp.status, exp.error, exp.finished_at = "failed", str(exc)[:500] or type(exc).__name__, utcnow()
            db.commit()
            raise
        exp.status, exp.file_name, exp.size, exp.error, exp.finished_at = "done", name, size, None, utcnow()
        db.commit()
    finally:
        db.close()


def pending_count(db, event_id) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(ExportJob).where(
        ExportJob.event_id == event_id, ExportJob.status.in_(("pending", "running"))))
