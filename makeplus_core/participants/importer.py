"""Bulk import of participants from the organiser's spreadsheet (CSV or XLSX).

One function plans, another applies; the API (``POST /api/participants/import/``) and the
CLI (``makeplus-import``) call both:

* :func:`read_table` streams the rows of a CSV (UTF-8, ``,`` or ``;``) or an XLSX
  (openpyxl ``read_only``: the sheet is never loaded whole);
* :func:`plan` maps the organiser's columns to our fields, validates every row and decides
  what it would do (``created`` / ``updated`` / ``unchanged`` / ``error`` with the field and
  the reason), reading the database in a fixed number of batched queries and writing
  nothing. A dry run answers this report;
* :func:`apply` writes exactly that plan through the core's batched enrolment functions
  (:func:`makeplus_core.auth.invitations.enrol_many`, :func:`services.create_many`,
  :func:`makeplus_core.access.session_access.create_many`; :func:`services.update` for changed
  rows), in the caller's one transaction. A plan with any error row is refused whole (nothing written).

Row numbers are the spreadsheet's (the header is row 1).
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
import uuid

import colander
import sqlalchemy as sa

from .. import errors
from ..access import session_access
from ..access.models import SessionAccess
from ..auth.models import User
from ..auth.services import normalize_email
from ..events.models import UserEventAssignment
from ..roles import BADGE_ROLES, PARTICIPANT
from ..rooms.models import Room
from ..sessions.models import Session
from . import services
from .models import Participant, participant_allowed_rooms

FIELDS = ("email", "first_name", "last_name", "phone", "organization", "role", "badge_number",
          "allowed_rooms", "paid_ateliers")
# Column names recognised without a mapping (compared without case, accents, spaces, - and _).
ALIASES = {
    "email": ("email", "e-mail", "mail", "courriel", "adresse e-mail", "adresse mail"),
    "first_name": ("first name", "firstname", "first_name", "prenom", "given name"),
    "last_name": ("last name", "lastname", "last_name", "nom", "nom de famille", "surname", "family name"),
    "phone": ("phone", "telephone", "tel", "mobile", "portable"),
    "organization": ("organization", "organisation", "company", "societe", "entreprise", "structure"),
    "role": ("role", "type"),
    "badge_number": ("badge", "badge number", "badge_number", "numero de badge", "n badge"),
    "allowed_rooms": ("rooms", "allowed rooms", "allowed_rooms", "salles", "salles autorisees"),
    "paid_ateliers": ("ateliers", "paid ateliers", "paid_ateliers", "ateliers payes", "workshops"),
}
LIMITS = {"first_name": 150, "last_name": 150, "phone": 40, "organization": 200, "badge_number": 50}
MAX_ROWS = 50_000
BATCH = 500
LIST_SEP = re.compile(r"[;,|\n]")


def _key(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[\s_\-.°]+", " ", text).strip()


# --------------------------------------------------------------------------- reading


def read_table(data: bytes, field: str = "file"):
    """``(header, rows)`` of a CSV or XLSX file; ``rows`` yields lists of cell texts."""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, field)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.Invalid(f"{field}: not an XLSX workbook nor a UTF-8 CSV file", field=field) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise errors.Invalid(f"{field}: the file has no header row", field=field)
    return [str(h).strip() for h in header], ([_cell(c) for c in row] for row in reader)


def _read_xlsx(data: bytes, field: str):
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook is the uploader's error
        raise errors.Invalid(f"{field}: this XLSX workbook cannot be read", field=field) from None
    rows = wb.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if not header or not any(h is not None for h in header):
        raise errors.Invalid(f"{field}: the file has no header row", field=field)

    def gen():
        try:
            for row in rows:
                yield [_cell(c) for c in row]
        finally:
            wb.close()

    return [_cell(h) for h in header], gen()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a badge number typed as 12 is read back as 12.0
    return str(value).strip()


def resolve_mapping(header: list[str], mapping: dict | None) -> dict[int, str]:
    """``{column index: field}`` from the organiser's ``{column name: field}`` (names not
    mapped are recognised by :data:`ALIASES`); 400 naming ``mapping`` when it is wrong."""
    by_name = {h: i for i, h in enumerate(header) if h}
    out: dict[int, str] = {}
    for column, target in (mapping or {}).items():
        if target in (None, "", "ignore"):
            continue
        if target not in FIELDS:
            raise errors.Invalid(f"mapping.{column}: unknown field {target!r} (fields: {', '.join(FIELDS)})",
                                 field=f"mapping.{column}")
        if column not in by_name:
            raise errors.Invalid(f"mapping.{column}: no such column in the file", field=f"mapping.{column}")
        out[by_name[column]] = target
    mapped_columns = {header[i] for i in out} | set(mapping or {})
    for i, name in enumerate(header):
        if i in out or name in mapped_columns:
            continue
        for target, names in ALIASES.items():
            if target not in out.values() and _key(name) in names:
                out[i] = target
                break
    if "email" not in out.values():
        raise errors.Invalid("mapping: no column is mapped to email", field="mapping")
    return out


# --------------------------------------------------------------------------- planning


@dataclasses.dataclass
class Row:
    row: int
    email: str
    action: str = "created"  # created | updated | unchanged | error
    field: str | None = None
    reason: str | None = None
    data: dict = dataclasses.field(default_factory=dict)
    changes: list = dataclasses.field(default_factory=list)
    user_id: int | None = None
    participant_id: uuid.UUID | None = None
    ateliers: list = dataclasses.field(default_factory=list)

    def report(self) -> dict:
        out = {"row": self.row, "email": self.email, "action": self.action}
        if self.action == "error":
            out.update(field=self.field, reason=self.reason)
        elif self.changes:
            out["changes"] = self.changes
        return out


class RowError(Exception):
    def __init__(self, field, reason):
        super().__init__(reason)
        self.field, self.reason = field, reason


_email = colander.SchemaNode(colander.String(), validator=colander.All(colander.Email(), colander.Length(max=254)))


@dataclasses.dataclass
class Plan:
    event_id: uuid.UUID
    rows: list

    @property
    def counts(self) -> dict:
        out = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        for r in self.rows:
            out[r.action] += 1
        return out

    @property
    def ok(self) -> bool:
        return not any(r.action == "error" for r in self.rows)

    def report(self, dry_run: bool) -> dict:
        counts = self.counts
        return {"dry_run": dry_run, "total": len(self.rows), "created": counts["created"],
                "updated": counts["updated"], "unchanged": counts["unchanged"], "errors": counts["error"],
                "rows": [r.report() for r in self.rows]}


def _parse_row(cells: list[str], columns: dict[int, str]) -> dict:
    raw = {}
    for i, target in columns.items():
        raw[target] = cells[i] if i < len(cells) else ""
    data = {}
    email = normalize_email(raw.get("email", ""))
    if not email:
        raise RowError("email", "required")
    try:
        _email.deserialize(email)
    except colander.Invalid:
        raise RowError("email", "not a valid e-mail address") from None
    data["email"] = email
    for key, limit in LIMITS.items():
        value = raw.get(key, "")
        if len(value) > limit:
            raise RowError(key, f"longer than {limit} characters")
        if value:
            data[key] = value
    role = _key(raw.get("role", ""))
    if role:
        roles = {_key(r): r for r in BADGE_ROLES}
        if role not in roles:
            raise RowError("role", f"must be one of {', '.join(BADGE_ROLES)}")
        data["role"] = roles[role]
    for key in ("allowed_rooms", "paid_ateliers"):
        if key in raw:
            data[key] = [v.strip() for v in LIST_SEP.split(raw[key]) if v.strip()]
    return data


def _lookup(names_or_ids: list[str], by_id: dict, by_name: dict, field: str) -> list:
    out = []
    for value in names_or_ids:
        found = by_id.get(value.lower()) or by_name.get(_key(value))
        if found is None:
            raise RowError(field, f"unknown in this event: {value}")
        if found not in out:
            out.append(found)
    return out


def plan(db, event, header: list[str], rows, mapping: dict | None = None, progress=None) -> Plan:
    """Validate every row against ``event`` and decide what importing it would do (no write)."""
    columns = resolve_mapping(header, mapping)
    event_id = event.id
    rooms = db.execute(sa.select(Room.id, Room.name).where(Room.event_id == event_id)).all()
    room_by_id = {str(r.id).lower(): r.id for r in rooms}
    room_by_name = {_key(r.name): r.id for r in rooms}
    ateliers = db.execute(sa.select(Session.id, Session.title).where(Session.event_id == event_id,
                                                                     Session.is_paid.is_(True))).all()
    atelier_by_id = {str(s.id).lower(): s.id for s in ateliers}
    atelier_by_title = {_key(s.title): s.id for s in ateliers}
    badge_owner = dict(db.execute(sa.select(Participant.badge_number, Participant.user_id)
                                  .where(Participant.event_id == event_id,
                                         Participant.badge_number.is_not(None))).all())

    email_col = next(i for i, target in columns.items() if target == "email")
    out: list[Row] = []
    seen_emails: dict[str, int] = {}
    seen_badges: dict[str, int] = {}
    pending: list[Row] = []

    def flush():
        _resolve_existing(db, event_id, pending, badge_owner, participant_allowed_rooms, SessionAccess)
        pending.clear()

    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue  # blank lines of a spreadsheet
        if len(out) >= MAX_ROWS:
            raise errors.Invalid(f"file: more than {MAX_ROWS} rows; split the file", field="file")
        item = Row(row=number, email=normalize_email(cells[email_col]) if email_col < len(cells) else "")
        out.append(item)
        try:
            data = _parse_row(cells, columns)
            item.email = data["email"]
            if data["email"] in seen_emails:
                raise RowError("email", f"already on row {seen_emails[data['email']]}")
            seen_emails[data["email"]] = number
            badge = data.get("badge_number")
            if badge:
                if badge in seen_badges:
                    raise RowError("badge_number", f"already on row {seen_badges[badge]}")
                seen_badges[badge] = number
            if "allowed_rooms" in data:
                data["allowed_rooms"] = _lookup(data["allowed_rooms"], room_by_id, room_by_name, "allowed_rooms")
            if "paid_ateliers" in data:
                item.ateliers = _lookup(data.pop("paid_ateliers"), atelier_by_id, atelier_by_title,
                                        "paid_ateliers")
            item.data = data
            pending.append(item)
        except RowError as exc:
            item.action, item.field, item.reason = "error", exc.field, exc.reason
        if len(pending) >= BATCH:
            flush()
        if progress is not None:
            progress(1)
    flush()
    if not out:
        raise errors.Invalid("file: no data rows under the header", field="file")
    return Plan(event_id=event_id, rows=out)


def _resolve_existing(db, event_id, items: list[Row], badge_owner: dict, allowed, SessionAccess) -> None:
    """Decide created / updated / unchanged for a batch of valid rows (4 queries per batch)."""
    if not items:
        return
    users = dict(db.execute(sa.select(User.email, User.id).where(User.email.in_([i.email for i in items]))).all())
    ids = [u for u in users.values()]
    parts = {p.user_id: p for p in db.scalars(sa.select(Participant).where(
        Participant.event_id == event_id, Participant.user_id.in_(ids)))} if ids else {}
    staff = dict(db.execute(sa.select(UserEventAssignment.user_id, UserEventAssignment.role).where(
        UserEventAssignment.event_id == event_id, UserEventAssignment.user_id.in_(ids))).all()) if ids else {}
    pids = [p.id for p in parts.values()]
    rooms: dict = {}
    paid: dict = {}
    if pids:
        for pid, rid in db.execute(sa.select(allowed.c.participant_id, allowed.c.room_id)
                                   .where(allowed.c.participant_id.in_(pids))):
            rooms.setdefault(pid, set()).add(rid)
        for pid, sid in db.execute(sa.select(SessionAccess.participant_id, SessionAccess.session_id)
                                   .where(SessionAccess.participant_id.in_(pids))):
            paid.setdefault(pid, set()).add(sid)
    for item in items:
        uid = users.get(item.email)
        item.user_id = uid
        badge = item.data.get("badge_number")
        if badge and badge in badge_owner and badge_owner[badge] != uid:
            item.action, item.field, item.reason = "error", "badge_number", "already used in this event"
            continue
        participant = parts.get(uid) if uid is not None else None
        if uid is not None and participant is None and uid in staff:
            item.action, item.field = "error", "email"
            item.reason = f"already assigned to this event as {staff[uid]}"
            continue
        if participant is None:
            item.action = "created"
            continue
        item.participant_id = participant.id
        changes = []
        for key in ("phone", "organization", "badge_number"):
            if key in item.data and item.data[key] != (getattr(participant, key) or None):
                changes.append(key)
        if "role" in item.data and item.data["role"] != staff.get(uid):
            changes.append("role")
        if "allowed_rooms" in item.data and set(item.data["allowed_rooms"]) != rooms.get(participant.id, set()):
            changes.append("allowed_rooms")
        new_ateliers = [s for s in item.ateliers if s not in paid.get(participant.id, set())]
        if new_ateliers:
            changes.append("paid_ateliers")
        item.ateliers = new_ateliers
        item.changes = changes
        item.action = "updated" if changes else "unchanged"


# --------------------------------------------------------------------------- applying


def apply(db, event, the_plan: Plan, *, enrol, granted_by_id=None, progress=None) -> None:
    """Write ``the_plan`` (refused whole with 400 ``import_invalid`` when a row has an error).

    ``enrol(people)`` takes a list of ``(email, profile)`` and returns their accounts in the
    same order: the API's and the CLI's batched enrolment
    (:func:`makeplus_core.auth.invitations.enrol_many`, invitation mails queued after commit).
    New people are written :data:`BATCH` at a time (accounts, invitation codes, assignments,
    participants, allowed rooms, paid ateliers and their audit rows each in a few statements:
    :func:`services.create_many`, :func:`session_access.create_many`); changed people through
    :func:`services.update` one by one, as the API does."""
    if not the_plan.ok:
        first = next(r for r in the_plan.rows if r.action == "error")
        raise ImportInvalid(f"row {first.row}: {first.field}: {first.reason}", field=first.field,
                            row=first.row, report=the_plan.report(dry_run=False))
    created = [item for item in the_plan.rows if item.action == "created"]
    for start in range(0, len(created), BATCH):
        batch = created[start:start + BATCH]
        users = enrol([(item.email, item.data) for item in batch])
        people = []
        for item, user in zip(batch, users, strict=True):
            data = {k: v for k, v in item.data.items() if k not in ("email", "first_name", "last_name")}
            data.setdefault("role", PARTICIPANT)
            people.append((user, data))
        participants = services.create_many(db, event, people, assigned_by_id=granted_by_id)
        session_access.create_many(db, event.id, [(p.id, sid) for item, p in zip(batch, participants, strict=True)
                                                  for sid in item.ateliers], granted_by_id=granted_by_id)
        if progress is not None:
            progress(len(batch))
    pairs = []
    for item in the_plan.rows:
        if item.action == "updated":
            participant = db.get(Participant, item.participant_id)
            data = {k: item.data[k] for k in item.changes if k in item.data}
            if data:
                services.update(db, participant, data)
            pairs.extend((participant.id, sid) for sid in item.ateliers)
        if item.action != "created" and progress is not None:
            progress(1)
    session_access.create_many(db, event.id, pairs, granted_by_id=granted_by_id)


class ImportInvalid(errors.Invalid):
    code = "import_invalid"
