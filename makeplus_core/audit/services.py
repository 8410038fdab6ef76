"""Recording the audit trail, generically, from the ORM unit of work.

:func:`install` attaches two listeners to the request session factory
(``registry.makeplus.dbsession_factory``, the sessions ``makeplus_core.db`` hands to
requests): ``before_flush`` captures what is about to be written (old and new values
from each attribute's history, while they are still readable) and ``after_flush``
inserts one ``audit_log`` row per created, changed or deleted row through the same
connection: the entries commit or roll back with the write itself. A request that
fails (validation 400, 403, 409…) is rolled back by ``tm.commit_veto`` and leaves no
entry.

What is recorded: every ORM insert, update and delete made by a request's session
(API views and dashboard pages alike), except rows of the excluded tables
(``makeplus.audit.exclude_tables``, default ``auth_sessions password_reset_tokens
room_access`` — scan decisions are journaled in ``room_access`` itself)
and the audit rows themselves. Columns whose name looks secret (``password*``,
``*token*``, ``*secret*``, ``*hash*``, ``refresh_jti``) are written as ``"***"``:
the trail says *that* a password changed, never its hash. Bulk ``UPDATE``/``DELETE``
statements issued with ``session.execute()`` bypass the unit of work: domain code that
must be audited writes through the ORM, or records its bulk write with
:func:`record_update` (the event check-in does).

Sessions without a request (scripts, demo data, tests arranging data) record
nothing unless ``session.info["audit"]`` is true.
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import ColumnProperty

from ..api import isoformat
from ..db import utcnow
from .models import AuditLog

# room_access is itself the journal of every scan decision (who, where, when, why):
# auditing it again would double the writes on the scan path.
DEFAULT_EXCLUDED = ("auth_sessions", "password_reset_tokens", "room_access")
SECRET = re.compile(r"^password|token|secret|hash|^refresh_jti$", re.I)
REDACTED = "***"
PENDING_KEY = "makeplus.audit.pending"


def is_secret(column_name: str) -> bool:
    return bool(SECRET.search(column_name))


def jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        return isoformat(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def _value(column_name: str, value):
    if value is not None and is_secret(column_name):
        return REDACTED
    return jsonable(value)


def _column_props(mapper):
    for prop in mapper.column_attrs:
        if isinstance(prop, ColumnProperty) and len(prop.columns) == 1:
            yield prop.key, prop.columns[0].name


def _object_id(obj) -> str:
    identity = sa.inspect(obj).identity
    if identity is None:
        mapper = sa.inspect(obj).mapper
        identity = tuple(getattr(obj, mapper.get_property_by_column(c).key) for c in mapper.primary_key)
    return ",".join(str(v) for v in identity if v is not None)


def _collection_changes(state, mapper) -> dict:
    """Many-to-many collections (e.g. a participant's allowed rooms): ids before/after."""
    out = {}
    for rel in mapper.relationships:
        if rel.secondary is None:
            continue
        hist = state.attrs[rel.key].history
        if not hist.has_changes():
            continue
        ids = lambda objs: sorted(_object_id(o) for o in objs)  # noqa: E731
        before = ids(list(hist.unchanged or ()) + list(hist.deleted or ()))
        after = ids(list(hist.unchanged or ()) + list(hist.added or ()))
        out[rel.key] = [before, after]
    return out


def _update_changes(obj) -> dict:
    state = sa.inspect(obj)
    mapper = state.mapper
    changes = {}
    for key, column_name in _column_props(mapper):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new and not is_secret(column_name):
            continue
        changes[column_name] = [_value(column_name, old), _value(column_name, new)]
    changes.update(_collection_changes(state, mapper))
    return changes


def _snapshot(obj, new: bool) -> dict:
    """All column values of a created (new: [None, v]) or deleted ([v, None]) row."""
    state = sa.inspect(obj)
    out = {}
    for key, column_name in _column_props(state.mapper):
        if key in state.dict:
            value = state.dict[key]
        elif new:
            continue  # server default not loaded: not worth a query
        else:
            value = getattr(obj, key)  # loads expired attributes of the row being deleted
        value = _value(column_name, value)
        out[column_name] = [None, value] if new else [value, None]
    return out


def _excluded(session) -> set:
    request = session.info.get("request")
    if request is not None:
        text = request.registry.settings.get("makeplus.audit.exclude_tables")
        if text is not None:
            return set(text.split()) | {AuditLog.__tablename__}
    return set(DEFAULT_EXCLUDED) | {AuditLog.__tablename__}


def _enabled(session) -> bool:
    if "audit" in session.info:
        return bool(session.info["audit"])
    return session.info.get("request") is not None


def _table_name(obj) -> str | None:
    table = getattr(sa.inspect(obj).mapper, "local_table", None)
    return getattr(table, "name", None)


def before_flush(session, flush_context, instances):
    if not _enabled(session):
        return
    excluded = _excluded(session)
    pending = session.info.setdefault(PENDING_KEY, [])
    for obj in list(session.new):
        table = _table_name(obj)
        if table and table not in excluded:
            pending.append(("create", obj, table, None))
    for obj in list(session.dirty):
        table = _table_name(obj)
        if not table or table in excluded or not session.is_modified(obj):
            continue
        changes = _update_changes(obj)
        if changes:
            pending.append(("update", obj, table, changes))
    for obj in list(session.deleted):
        table = _table_name(obj)
        if table and table not in excluded:
            pending.append(("delete", obj, table, _snapshot(obj, new=False)))


def _context(session) -> dict:
    request = session.info.get("request")
    ctx = {"user_id": None, "role": None, "event_id": None, "ip_address": None,
           "request_method": None, "request_path": None}
    if request is None:
        return ctx
    ctx["ip_address"] = request.client_addr
    ctx["request_method"] = request.method
    ctx["request_path"] = (request.path or "")[:500]
    ident = request.environ.get("makeplus.identity")
    if ident is None and "makeplus.identity" not in request.environ:
        try:
            ident = request.identity
        except Exception:  # noqa: BLE001 - an unreadable token simply means "nobody"
            ident = None
    if ident is not None:
        ctx["user_id"] = ident.user_id
        ctx["role"] = ident.role or ("admin" if ident.is_admin else None)
        ctx["event_id"] = ident.event_id
    return ctx


def after_flush(session, flush_context):
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    ctx = _context(session)
    now = utcnow()
    rows = []
    for action, obj, table, changes in pending:
        if action == "create":
            changes = _snapshot(obj, new=True)
        event_id = getattr(obj, "event_id", None) if table != "events" else getattr(obj, "id", None)
        if not isinstance(event_id, uuid.UUID):
            event_id = ctx["event_id"]
        rows.append({**ctx, "event_id": event_id, "at": now, "action": action, "object_type": table,
                     "object_id": _object_id(obj)[:100], "changes": changes})
    session.connection().execute(sa.insert(AuditLog.__table__), rows)


def record_update(session, obj, changes: dict) -> None:
    """Record an update the unit of work did not see: a conditional bulk ``UPDATE`` issued
    with ``session.execute()`` on ``obj``'s row (the event check-in's, which must happen once
    whatever the concurrency). ``changes`` maps column names to ``(old, new)``. One insert,
    in the same transaction as the update; nothing when the session is not audited."""
    table = _table_name(obj)
    if table is None:
        return
    record_row_update(session, table, _object_id(obj), getattr(obj, "event_id", None), changes)


def record_row_update(session, table: str, object_id, event_id, changes: dict) -> None:
    """:func:`record_update` for a row known by its table name and id (read with SQLAlchemy
    Core, no ORM instance: the event check-in's participant)."""
    if not _enabled(session) or table in _excluded(session):
        return
    ctx = _context(session)
    session.connection().execute(sa.insert(AuditLog.__table__), [{
        **ctx, "event_id": event_id if isinstance(event_id, uuid.UUID) else ctx["event_id"], "at": utcnow(),
        "action": "update", "object_type": table, "object_id": str(object_id)[:100],
        "changes": {name: [_value(name, old), _value(name, new)] for name, (old, new) in changes.items()}}])


def after_soft_rollback(session, previous_transaction):
    session.info.pop(PENDING_KEY, None)


def install(session_factory) -> None:
    """Attach the audit listeners to a ``sessionmaker`` (idempotent)."""
    for name, fn in (("before_flush", before_flush), ("after_flush", after_flush),
                     ("after_soft_rollback", after_soft_rollback)):
        if not sa.event.contains(session_factory, name, fn):
            sa.event.listen(session_factory, name, fn)


def list_query(event_id=None, object_type=None, object_id=None, user_id=None, action=None,
               date_from=None, date_to=None):
    stmt = sa.select(AuditLog)
    if event_id is not None:
        stmt = stmt.where(AuditLog.event_id == event_id)
    if object_type:
        stmt = stmt.where(AuditLog.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditLog.object_id == str(object_id))
    if user_id is not None:
        stmt = stmt.where(AuditLog.user_id == user_id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if date_from is not None:
        stmt = stmt.where(AuditLog.at >= date_from)
    if date_to is not None:
        stmt = stmt.where(AuditLog.at <= date_to)
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def recent(db, event_id, kinds: dict, limit: int = 10, scan: int = 500) -> list:
    """The event's latest audit entries of the given kinds, newest first (the dashboard's
    "recent activity"): ``kinds`` maps an object type (a table name) to ``(actions,
    match)`` where ``match(entry)`` (or ``None``) keeps only some entries, e.g. the updates
    of a participant that check them in. One query, reading at most ``scan`` entries."""
    if not kinds:
        return []
    cond = sa.or_(*(sa.and_(AuditLog.object_type == t, AuditLog.action.in_(list(actions)))
                    for t, (actions, _) in kinds.items()))
    stmt = (sa.select(AuditLog).where(AuditLog.event_id == event_id, cond)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(scan))
    out = []
    for entry in db.scalars(stmt):
        match = kinds[entry.object_type][1]
        if match is None or match(entry):
            out.append(entry)
            if len(out) >= limit:
                break
    return out
