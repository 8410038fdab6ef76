"""Lead-scanning domain functions (plain functions over a session; raise makeplus_core.errors)."""
from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo

import sqlalchemy as sa

from makeplus_core.plugin_api import (
    EXPOSANT,
    GESTIONNAIRE,
    N_,
    Event,
    Participant,
    User,
    UserEventAssignment,
    dialect_insert,
    errors,
    file_url,
    utcnow,
)

from .models import ExposantPlan, ExposantScan, ExposantVisit
from .schemas import NOTES_MAX

DEFAULT_WINDOW_MINUTES = 30


def rescan_window(settings) -> dt.timedelta:
    raw = (settings or {}).get("makeplus.exposants.rescan_window_minutes", DEFAULT_WINDOW_MINUTES)
    try:
        minutes = max(0.0, float(raw))
    except (TypeError, ValueError):
        minutes = DEFAULT_WINDOW_MINUTES
    return dt.timedelta(minutes=minutes)


# --------------------------------------------------------------------------- who is who


def own_participant(db, user_id: int, event_id) -> Participant | None:
    return db.scalar(sa.select(Participant).where(Participant.user_id == user_id,
                                                  Participant.event_id == event_id))


def visitor_by_id(db, participant_id, event_id) -> Participant:
    """The participant ``participant_id`` of the event, an active badge holder; else 404."""
    try:
        pid = uuid.UUID(str(participant_id))
    except (TypeError, ValueError, AttributeError):
        raise errors.Invalid("scanned_participant: not a valid id", field="scanned_participant") from None
    row = db.execute(
        sa.select(Participant, User.is_active, UserEventAssignment.is_active)
        .join(User, User.id == Participant.user_id)
        .outerjoin(UserEventAssignment, sa.and_(UserEventAssignment.user_id == Participant.user_id,
                                                UserEventAssignment.event_id == Participant.event_id))
        .where(Participant.id == pid, Participant.event_id == event_id)).first()
    if row is None:
        raise errors.NotFound("Participant not found", field="scanned_participant")
    participant, user_active, assigned = row
    if not user_active or not assigned:
        raise errors.Forbidden("This participant has no active access to the event",
                               field="scanned_participant", reason="no_event_access")
    return participant


# --------------------------------------------------------------------------- recording


def _insert(db):
    return dialect_insert(db, ExposantScan)


def _append(old: str, new: str) -> str:
    new = (new or "").strip()
    if not new:
        return old
    if new in old.split("\n"):
        return old  # the same note sent twice (app retry without a key) is kept once
    combined = f"{old}\n{new}" if old else new
    if len(combined) > NOTES_MAX:
        raise errors.Invalid(f"notes: the lead's notes would exceed {NOTES_MAX} characters; "
                             "edit them with PATCH", field="notes")
    return combined


def record_scan(db, event_id, exposant: Participant, visitor: Participant, notes: str,
                window: dt.timedelta, now: dt.datetime | None = None) -> tuple[ExposantScan, str]:
    """Record that ``exposant`` scanned ``visitor`` now.

    One lead row per (exposant, visitor), created by ``INSERT … ON CONFLICT DO
    NOTHING`` then locked (``FOR UPDATE``), so concurrent scans never duplicate it.
    Returns ``(lead, outcome)`` with outcome ``"new_lead"`` (first scan, one visit),
    ``"new_visit"`` (the last scan is older than ``window``: ``visit_count`` + 1) or
    ``"merged"`` (inside the window: same visit, notes appended, ``last_scanned_at``
    bumped, ``visit_count`` kept).
    """
    if visitor.id == exposant.id or visitor.user_id == exposant.user_id:
        raise errors.Invalid("You cannot scan your own badge", field="qr_data", reason="self_scan")
    now = now or utcnow()
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise errors.Invalid(f"notes: at most {NOTES_MAX} characters", field="notes")
    new_id = uuid.uuid4()
    db.execute(_insert(db).values(
        id=new_id, event_id=event_id, exposant_id=exposant.id, scanned_participant_id=visitor.id,
        scanned_at=now, last_scanned_at=now, visit_count=1, notes=notes, updated_at=now,
    ).on_conflict_do_nothing(index_elements=["exposant_id", "scanned_participant_id"]))
    lead = db.execute(
        sa.select(ExposantScan).where(ExposantScan.exposant_id == exposant.id,
                                      ExposantScan.scanned_participant_id == visitor.id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one()
    if lead.id == new_id:
        db.add(ExposantVisit(scan_id=lead.id, event_id=event_id, exposant_id=exposant.id, visited_at=now))
        db.flush()
        return lead, "new_lead"
    lead.notes = _append(lead.notes or "", notes)
    outcome = "merged"
    if now - lead.last_scanned_at >= window:
        outcome = "new_visit"
        lead.visit_count = lead.visit_count + 1
        db.add(ExposantVisit(scan_id=lead.id, event_id=event_id, exposant_id=exposant.id, visited_at=now))
    lead.last_scanned_at = max(now, lead.last_scanned_at)
    lead.updated_at = now
    db.flush()
    return lead, outcome


def update_notes(db, lead: ExposantScan, notes: str) -> ExposantScan:
    lead.notes = (notes or "").strip()
    db.flush()
    return lead


# --------------------------------------------------------------------------- reading


def list_query(event_id, exposant_id=None, search=None):
    stmt = sa.select(ExposantScan).where(ExposantScan.event_id == event_id)
    if exposant_id is not None:
        stmt = stmt.where(ExposantScan.exposant_id == exposant_id)
    terms = re.findall(r"\w+", (search or "").lower())[:6]
    for term in terms:
        like = "%" + term + "%"
        visitors = (sa.select(Participant.id).join(User, User.id == Participant.user_id)
                    .where(Participant.event_id == event_id,
                           sa.or_(*[sa.func.lower(c).like(like) for c in
                                    (User.first_name, User.last_name, User.email, User.organization,
                                     User.job_title)])))
        stmt = stmt.where(sa.or_(ExposantScan.scanned_participant_id.in_(visitors),
                                 sa.func.lower(ExposantScan.notes).like(like)))
    return stmt.order_by(ExposantScan.last_scanned_at.desc(), ExposantScan.id)


def _id_or_404(value, message) -> uuid.UUID:
    """An id from a path: one that is not a UUID names nothing (404 ``message``)."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise errors.NotFound(message) from None


def get_visible(db, scan_id, event_id, exposant_id=None) -> ExposantScan:
    """The lead in the event; for an exposant (``exposant_id``) only their own (else 404)."""
    lead = db.get(ExposantScan, _id_or_404(scan_id, N_("Scan not found")))
    if lead is None or lead.event_id != event_id or (exposant_id is not None and lead.exposant_id != exposant_id):
        raise errors.NotFound("Scan not found")
    return lead


def _known(ids) -> set:
    """``ids`` without the Nones, as a set (empty: the callers answer ``{}`` without a query)."""
    return {p for p in ids if p is not None}


def people(db, participant_ids) -> dict:
    """Public details of participants by id, one query."""
    out = {}
    if not (ids := _known(participant_ids)):
        return out
    for row in db.execute(
            sa.select(Participant.id, Participant.user_id, Participant.badge_number, ExposantPlan.file,
                      User.first_name, User.last_name, User.username, User.email, User.phone,
                      User.organization, User.job_title)
            .join(User, User.id == Participant.user_id)
            .outerjoin(ExposantPlan, ExposantPlan.participant_id == Participant.id)
            .where(Participant.id.in_(ids))):
        name = f"{row.first_name} {row.last_name}".strip() or row.username
        out[row.id] = {"id": str(row.id), "user_id": row.user_id, "name": name, "first_name": row.first_name,
                       "last_name": row.last_name, "email": row.email, "phone": row.phone,
                       "organization": row.organization, "job_title": row.job_title,
                       "badge_number": row.badge_number, "_plan": row.file}
    return out


def serialize(request, leads: list[ExposantScan]) -> list[dict]:
    """Leads as JSON, in one query whatever their number (visitor and exposant details)."""
    db = request.dbsession
    info = people(db, [x.scanned_participant_id for x in leads] + [x.exposant_id for x in leads])
    out = []
    for lead in leads:
        visitor = {k: v for k, v in info.get(lead.scanned_participant_id, {}).items() if not k.startswith("_")}
        expo = info.get(lead.exposant_id, {})
        out.append({
            "id": str(lead.id),
            "event": str(lead.event_id),
            "event_id": str(lead.event_id),
            "exposant": str(lead.exposant_id),
            "exposant_id": str(lead.exposant_id),
            "exposant_name": expo.get("name"),
            "exposant_organization": expo.get("organization"),
            "scanned_participant": visitor,
            "scanned_participant_id": str(lead.scanned_participant_id),
            "scanned_participant_name": visitor.get("name"),
            "scanned_participant_email": visitor.get("email"),
            "participant_email": visitor.get("email"),
            "participant_name": visitor.get("name"),
            "scanned_at": lead.scanned_at,
            "last_scanned_at": lead.last_scanned_at,
            "visit_count": lead.visit_count,
            "notes": lead.notes or "",
        })
    return out


def today_start(db, event_id, now: dt.datetime | None = None) -> dt.datetime:
    """Midnight of today in the event's timezone (``Event.timezone``, UTC when unknown), as UTC."""
    name = db.scalar(sa.select(Event.timezone).where(Event.id == event_id)) or "UTC"
    try:
        tz = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = (now or utcnow()).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.UTC)


def visit_counts(db, event_id, exposant_id, since: dt.datetime) -> tuple[int, int]:
    """(total visits, visits since ``since``) of one exposant: one aggregate query."""
    row = db.execute(sa.select(
        sa.func.count(ExposantVisit.id),
        sa.func.coalesce(sa.func.sum(sa.case((ExposantVisit.visited_at >= since, 1), else_=0)), 0),
    ).where(ExposantVisit.event_id == event_id, ExposantVisit.exposant_id == exposant_id)).one()
    return int(row[0]), int(row[1])


# --------------------------------------------------------------------------- exposants directory


def exposants_query(event_id):
    return (sa.select(Participant).join(UserEventAssignment, sa.and_(
        UserEventAssignment.user_id == Participant.user_id, UserEventAssignment.event_id == Participant.event_id))
        .join(User, User.id == Participant.user_id)
        .where(Participant.event_id == event_id, UserEventAssignment.role == EXPOSANT,
               UserEventAssignment.is_active.is_(True))
        .order_by(User.organization, User.last_name, User.first_name, Participant.id))


def serialize_exposants(request, rows: list[Participant], lead_counts_for) -> list[dict]:
    """Exposants with their booth plan URL; ``lead_count`` only for ids in ``lead_counts_for``
    (``None`` = all): the exposant themself and gestionnaires."""
    db = request.dbsession
    info = people(db, [p.id for p in rows])
    wanted = [p.id for p in rows if lead_counts_for is None or p.id in lead_counts_for]
    counts = {}
    if wanted:
        counts = dict(db.execute(
            sa.select(ExposantScan.exposant_id, sa.func.count(ExposantScan.id))
            .where(ExposantScan.exposant_id.in_(wanted)).group_by(ExposantScan.exposant_id)).all())
    out = []
    for p in rows:
        d = info.get(p.id, {})
        item = {"id": str(p.id), "participant_id": str(p.id), "user_id": p.user_id, "event": str(p.event_id),
                "name": d.get("name"), "first_name": d.get("first_name"), "last_name": d.get("last_name"),
                "organization": d.get("organization"), "job_title": d.get("job_title"),
                "plan_file": file_url(request, d.get("_plan")), "has_plan": bool(d.get("_plan"))}
        if lead_counts_for is None or p.id in lead_counts_for:
            item["lead_count"] = int(counts.get(p.id, 0))
        out.append(item)
    return out


def get_exposant(db, participant_id, event_id) -> Participant:
    found = db.scalar(exposants_query(event_id).where(
        Participant.id == _id_or_404(participant_id, N_("Exposant not found"))))
    if found is None:
        raise errors.NotFound("Exposant not found")
    return found


# --------------------------------------------------------------------------- booth plans


def plan_files(db, participant_ids) -> dict:
    """``{participant id: stored path}`` of those of ``participant_ids`` that have a booth plan (one query)."""
    if not (ids := _known(participant_ids)):
        return {}
    return dict(db.execute(sa.select(ExposantPlan.participant_id, ExposantPlan.file)
                           .where(ExposantPlan.participant_id.in_(ids))).all())


def set_plan(db, participant: Participant, path: str, user_id: int | None) -> None:
    """Store ``path`` (a file under the storage root) as the booth plan of ``participant``,
    replacing the previous one: one upsert, so concurrent uploads never collide."""
    insert = dialect_insert(db, ExposantPlan)
    now = utcnow()
    db.execute(insert.values(participant_id=participant.id, file=path, uploaded_at=now, uploaded_by_id=user_id)
               .on_conflict_do_update(index_elements=["participant_id"],
                                      set_={"file": path, "uploaded_at": now, "uploaded_by_id": user_id}))


def extend_participants(request, participants, payloads) -> None:
    """``makeplus_extend_json(kind="participant")``: ``plan_file`` (absolute URL or ``null``)
    on every participant of the page, in one query."""
    paths = plan_files(request.dbsession, [p.id for p in participants])
    for p, payload in zip(participants, payloads, strict=False):
        payload["plan_file"] = file_url(request, paths.get(p.id))


# --------------------------------------------------------------------------- hooks


def lead_count(db, event_id) -> int:
    return int(db.scalar(sa.select(sa.func.count(ExposantScan.id)).where(ExposantScan.event_id == event_id)) or 0)


def event_statistics(db, event_id, top: int = 5, per_booth: bool = True) -> dict:
    """Visits, unique visitors, leads and the top booths: SQL aggregates only.

    ``per_booth=False`` (callers who may not see booths' lead counts: participants,
    exposants, controllers) keeps only the event-wide visits and unique visitors."""
    visits = db.scalar(sa.select(sa.func.count(ExposantVisit.id)).where(ExposantVisit.event_id == event_id)) or 0
    leads, unique = db.execute(sa.select(
        sa.func.count(ExposantScan.id), sa.func.count(sa.distinct(ExposantScan.scanned_participant_id)))
        .where(ExposantScan.event_id == event_id)).one()
    if not per_booth:
        return {"visits": int(visits), "unique_visitors": int(unique or 0)}
    n_visits = sa.func.sum(ExposantScan.visit_count)
    rows = db.execute(
        sa.select(ExposantScan.exposant_id, n_visits.label("visits"), sa.func.count(ExposantScan.id).label("leads"),
                  User.first_name, User.last_name, User.username, User.organization)
        .join(Participant, Participant.id == ExposantScan.exposant_id)
        .join(User, User.id == Participant.user_id)
        .where(ExposantScan.event_id == event_id)
        .group_by(ExposantScan.exposant_id, User.first_name, User.last_name, User.username, User.organization)
        .order_by(n_visits.desc(), ExposantScan.exposant_id).limit(top)).all()
    return {
        "visits": int(visits),
        "unique_visitors": int(unique or 0),
        "leads": int(leads or 0),
        "top_booths": [{"exposant": str(r.exposant_id),
                        "name": f"{r.first_name} {r.last_name}".strip() or r.username,
                        "organization": r.organization, "visits": int(r.visits or 0), "leads": int(r.leads)}
                       for r in rows],
    }


def _contains(col, term):
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.func.lower(sa.func.coalesce(col, "")).like(pattern, escape="\\")


def search(db, event_id, query: str, role: str | None, user_id: int | None, limit: int) -> list[dict]:
    """``makeplus_search``: exposants by name/organisation for every member; leads
    (visitor name, e-mail, organisation, notes) for their exposant and gestionnaires."""
    terms = re.findall(r"\w+", (query or "").lower())[:6]
    if not terms or not limit or role is None:
        return []
    name_cols = (User.first_name, User.last_name, User.organization)
    score = sum(sa.case((sa.or_(*[_contains(c, t) for c in name_cols]), 2), else_=0) for t in terms)
    stmt = (exposants_query(event_id).with_only_columns(
        Participant.id, User.first_name, User.last_name, User.username, User.organization, score.label("score"))
        .where(*[sa.or_(*[_contains(c, t) for c in name_cols]) for t in terms])
        .order_by(None).order_by(sa.desc("score"), User.last_name).limit(limit))
    out = [{"type": "exposant", "id": str(r.id), "title": f"{r.first_name} {r.last_name}".strip() or r.username,
            "subtitle": r.organization or "", "score": float(r.score),
            "url": f"/api/exposants/{r.id}/plan/", "extra": {"organization": r.organization}}
           for r in db.execute(stmt)]
    if role in (GESTIONNAIRE, "admin", EXPOSANT):
        lead_cols = (User.first_name, User.last_name, User.email, User.organization, ExposantScan.notes)
        lscore = sum(sa.case((sa.or_(*[_contains(c, t) for c in lead_cols]), 2), else_=0) for t in terms)
        lstmt = (sa.select(ExposantScan.id, User.first_name, User.last_name, User.username, User.organization,
                           User.email, lscore.label("score"))
                 .join(Participant, Participant.id == ExposantScan.scanned_participant_id)
                 .join(User, User.id == Participant.user_id)
                 .where(ExposantScan.event_id == event_id,
                        *[sa.or_(*[_contains(c, t) for c in lead_cols]) for t in terms]))
        if role == EXPOSANT:
            mine = sa.select(Participant.id).where(Participant.user_id == user_id, Participant.event_id == event_id)
            lstmt = lstmt.where(ExposantScan.exposant_id.in_(mine.scalar_subquery()))
        lstmt = lstmt.order_by(sa.desc("score"), ExposantScan.last_scanned_at.desc()).limit(limit)
        out += [{"type": "exposant_lead", "id": str(r.id),
                 "title": f"{r.first_name} {r.last_name}".strip() or r.username,
                 "subtitle": r.organization or r.email or "", "score": float(r.score),
                 "url": f"/api/exposant-scans/{r.id}/"} for r in db.execute(lstmt)]
    out.sort(key=lambda x: -x["score"])
    return out[:limit]


def export_for_user(db, user) -> dict | None:
    """Personal data export: leads the user recorded as an exposant and booths that scanned them."""
    mine = sa.select(Participant.id).where(Participant.user_id == user.id)
    recorded = db.execute(
        sa.select(ExposantScan.id, ExposantScan.event_id, ExposantScan.scanned_participant_id, ExposantScan.scanned_at,
                  ExposantScan.last_scanned_at, ExposantScan.visit_count, ExposantScan.notes)
        .where(ExposantScan.exposant_id.in_(mine)).order_by(ExposantScan.scanned_at)).all()
    scanned = db.execute(
        sa.select(ExposantScan.id, ExposantScan.event_id, ExposantScan.exposant_id, ExposantScan.scanned_at,
                  ExposantScan.last_scanned_at, ExposantScan.visit_count)
        .where(ExposantScan.scanned_participant_id.in_(mine)).order_by(ExposantScan.scanned_at)).all()
    if not recorded and not scanned:
        return None
    return {
        "exposant_leads_recorded": [{"id": str(r.id), "event": str(r.event_id),
                                     "scanned_participant": str(r.scanned_participant_id),
                                     "scanned_at": r.scanned_at, "last_scanned_at": r.last_scanned_at,
                                     "visit_count": r.visit_count, "notes": r.notes} for r in recorded],
        "exposant_booths_visited": [{"id": str(r.id), "event": str(r.event_id), "exposant": str(r.exposant_id),
                                     "scanned_at": r.scanned_at, "last_scanned_at": r.last_scanned_at,
                                     "visit_count": r.visit_count} for r in scanned],
    }


def exhibitor_totals(db, event_ids) -> dict:
    """``{event_id: number of active exposants}`` (one grouped query): the event JSON's
    ``total_exhibitors`` (seed 001 Event)."""
    ids = [i for i in event_ids if i is not None]
    out = {i: 0 for i in ids}
    if ids:
        rows = db.execute(sa.select(UserEventAssignment.event_id, sa.func.count())
                          .where(UserEventAssignment.event_id.in_(ids), UserEventAssignment.role == EXPOSANT,
                                 UserEventAssignment.is_active.is_(True))
                          .group_by(UserEventAssignment.event_id)).all()
        out.update({eid: int(n) for eid, n in rows})
    return out
