"""E-poster domain functions: the call, public submissions, committee review,
final posters, gallery and export.

Decision rule (documented in docs/eposters.md): a pending submission becomes
``accepted`` when the number of ``accept`` reviews reaches the call's
``required_validations``; it becomes ``rejected`` as soon as one ``reject`` review
arrives (the reviewer's comment is the reason). Each member reviews a submission
at most once; a decided submission takes no more reviews.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

import sqlalchemy as sa

from makeplus_core.plugin_api import (
    GESTIONNAIRE,
    Event,
    User,
    UserEventAssignment,
    errors,
    icontains,
    utcnow,
)

from .models import Call, CommitteeMember, Review, Submission
from .schemas import ABSTRACT_PARTS

DEFAULT_FINAL_LINK_DAYS = 30


class Gone(errors.DomainError):
    status = 410
    code = "gone"


# --------------------------------------------------------------------------- call


def get_call(db, event_id) -> Call | None:
    return db.scalar(sa.select(Call).where(Call.event_id == event_id))


def save_call(db, event_id, data: dict) -> Call:
    if data["closes_at"] <= data["opens_at"]:
        raise errors.Invalid("closes_at: must be after opens_at", field="closes_at")
    themes = []
    for theme in data.get("themes") or []:
        theme = theme.strip()
        if theme and theme not in themes:
            themes.append(theme)
    call = get_call(db, event_id)
    if call is None:
        call = Call(event_id=event_id)
        db.add(call)
    call.title = data.get("title", "")
    call.description = data.get("description", "")
    call.opens_at = data["opens_at"]
    call.closes_at = data["closes_at"]
    call.required_validations = data.get("required_validations", 1)
    call.themes = themes
    call.is_published = bool(data.get("is_published", False))
    db.flush()
    return call


def call_state(call: Call, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    if not call.is_published:
        return "draft"
    if now < call.opens_at:
        return "upcoming"
    if now >= call.closes_at:
        return "closed"
    return "open"


def call_json(call: Call, event: Event, full: bool, abstract_max: int) -> dict:
    out = {
        "event": str(event.id),
        "event_name": event.name,
        "title": call.title,
        "description": call.description,
        "opens_at": call.opens_at,
        "closes_at": call.closes_at,
        "themes": list(call.themes or []),
        "state": call_state(call),
        "is_open": call_state(call) == "open",
        "abstract_max_chars": abstract_max,
        "abstract_parts": list(ABSTRACT_PARTS),
    }
    if full:
        out.update({"id": str(call.id), "is_published": call.is_published,
                    "required_validations": call.required_validations,
                    "created_at": call.created_at, "updated_at": call.updated_at})
    return out


# --------------------------------------------------------------------------- submission


def open_call(db, event_id, now=None) -> Call:
    """The event's call if it is published and open now; else 404 / 409 with a clear message."""
    now = now or utcnow()
    call = get_call(db, event_id)
    if call is None or not call.is_published:
        raise errors.NotFound("This event has no published call for contributions")
    if now < call.opens_at:
        raise errors.Conflict(f"The call for contributions opens on {call.opens_at:%Y-%m-%d %H:%M} UTC",
                              field="opens_at")
    if now >= call.closes_at:
        raise errors.Conflict(f"The call for contributions closed on {call.closes_at:%Y-%m-%d %H:%M} UTC",
                              field="closes_at")
    return call


def check_theme(call: Call, data: dict) -> str | None:
    """The submission's theme, which must be one of the call's themes when it has some."""
    theme = (data.get("theme") or "").strip() or None
    if call.themes:
        if theme is None:
            raise errors.Invalid("theme: required (one of the call's themes)", field="theme")
        if theme not in call.themes:
            raise errors.Invalid("theme: must be one of " + ", ".join(call.themes), field="theme")
    return theme


def submit(db, event_id, data: dict, abstract_pdf: str | None = None, now=None) -> Submission:
    """Record a public submission (status ``pending``) if the call is open."""
    now = now or utcnow()
    call = open_call(db, event_id, now)
    theme = check_theme(call, data)
    abstract = data["abstract"]
    sub = Submission(
        event_id=event_id, status="pending",
        author_first_name=data["author_first_name"].strip(), author_last_name=data["author_last_name"].strip(),
        author_email=data["author_email"].strip().lower(), author_phone=data.get("author_phone"),
        institution=data.get("institution") or "", theme=theme, title=data["title"].strip(),
        authors=[{"name": a["name"].strip(), "affiliation": (a.get("affiliation") or "").strip()}
                 for a in data["authors"]],
        abstract_introduction=abstract["introduction"], abstract_methods=abstract["methods"],
        abstract_results=abstract["results"], abstract_conclusion=abstract["conclusion"],
        abstract_pdf=abstract_pdf, submitted_at=now)
    db.add(sub)
    db.flush()
    return sub


# --------------------------------------------------------------------------- committee


def committee_query(event_id):
    return (sa.select(CommitteeMember).where(CommitteeMember.event_id == event_id)
            .order_by(CommitteeMember.added_at, CommitteeMember.id))


def is_committee(db, event_id, user_id) -> bool:
    return db.scalar(sa.select(CommitteeMember.id).where(CommitteeMember.event_id == event_id,
                                                         CommitteeMember.user_id == user_id)) is not None


def add_committee_member(db, event_id, user_id: int, added_by: int | None) -> CommitteeMember:
    member = db.scalar(sa.select(UserEventAssignment.id).where(
        UserEventAssignment.event_id == event_id, UserEventAssignment.user_id == user_id,
        UserEventAssignment.is_active.is_(True)))
    if member is None:
        raise errors.Invalid("user_id: not a member of this event", field="user_id")
    existing = db.scalar(sa.select(CommitteeMember).where(CommitteeMember.event_id == event_id,
                                                          CommitteeMember.user_id == user_id))
    if existing is not None:
        raise errors.Conflict("This user is already on the committee", field="user_id")
    cm = CommitteeMember(event_id=event_id, user_id=user_id, added_by_id=added_by)
    db.add(cm)
    db.flush()
    return cm


def remove_committee_member(db, event_id, user_id: int) -> None:
    cm = db.scalar(sa.select(CommitteeMember).where(CommitteeMember.event_id == event_id,
                                                    CommitteeMember.user_id == user_id))
    if cm is None:
        raise errors.NotFound("Committee member not found", field="user_id")
    db.delete(cm)
    db.flush()


def serialize_committee(db, members: list[CommitteeMember]) -> list[dict]:
    ids = {m.user_id for m in members}
    users = {}
    if ids:
        users = {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_(ids)))}
    out = []
    for m in members:
        u = users.get(m.user_id)
        out.append({"user_id": m.user_id, "first_name": u.first_name if u else "",
                    "last_name": u.last_name if u else "", "email": u.email if u else "",
                    "added_at": m.added_at})
    return out


def can_review(db, event_id, user_id, role, is_admin) -> bool:
    return is_admin or role == GESTIONNAIRE or is_committee(db, event_id, user_id)


# --------------------------------------------------------------------------- review


def submissions_query(event_id, status=None, search=None):
    stmt = sa.select(Submission).where(Submission.event_id == event_id)
    if status:
        stmt = stmt.where(Submission.status == status)
    if search:
        stmt = stmt.where(icontains(search, Submission.title, Submission.code, Submission.author_last_name))
    return stmt.order_by(Submission.submitted_at, Submission.id)


def serialize_submissions(request, subs: list[Submission], file_url, viewer_id=None) -> list[dict]:
    """Committee view of submissions; review counts and the viewer's own review in 2 queries."""
    db = request.dbsession
    ids = [s.id for s in subs]
    counts: dict = {}
    mine: dict = {}
    if ids:
        for sid, decision, n in db.execute(
                sa.select(Review.submission_id, Review.decision, sa.func.count())
                .where(Review.submission_id.in_(ids)).group_by(Review.submission_id, Review.decision)):
            counts[(sid, decision)] = n
        if viewer_id is not None:
            for sid, decision, comment in db.execute(
                    sa.select(Review.submission_id, Review.decision, Review.comment)
                    .where(Review.submission_id.in_(ids), Review.reviewer_id == viewer_id)):
                mine[sid] = {"decision": decision, "comment": comment}
    return [{
        "id": str(s.id),
        "event": str(s.event_id),
        "status": s.status,
        "submitted_at": s.submitted_at,
        "author_first_name": s.author_first_name,
        "author_last_name": s.author_last_name,
        "author_email": s.author_email,
        "author_phone": s.author_phone,
        "institution": s.institution,
        "theme": s.theme,
        "title": s.title,
        "authors": s.authors,
        "abstract": {"introduction": s.abstract_introduction, "methods": s.abstract_methods,
                     "results": s.abstract_results, "conclusion": s.abstract_conclusion},
        "abstract_pdf_url": file_url(request, s.abstract_pdf),
        "accepts": counts.get((s.id, "accept"), 0),
        "rejects": counts.get((s.id, "reject"), 0),
        "my_review": mine.get(s.id),
        "decided_at": s.decided_at,
        "decision_reason": s.decision_reason,
        "contribution_number": s.code,
        "final_submitted": s.poster_pdf is not None,
        "poster_pdf_url": file_url(request, s.poster_pdf),
    } for s in subs]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _next_number(db, call: Call) -> int:
    """Atomically take the call's next contribution number (one UPDATE … RETURNING)."""
    return db.execute(sa.update(Call).where(Call.id == call.id)
                      .values(last_number=Call.last_number + 1)
                      .returning(Call.last_number)).scalar_one()


def review(db, submission_id, event_id, reviewer_id: int, decision: str, comment: str,
           final_link_days: int = DEFAULT_FINAL_LINK_DAYS, now=None) -> dict:
    """Record one member's review and apply the decision rule.

    Returns ``{"submission", "review", "outcome": None|"accepted"|"rejected", "token"}``;
    ``token`` is the clear final-submission token (only when just accepted), never stored.
    """
    now = now or utcnow()
    # Row lock: concurrent reviews of one submission are serialised.
    sub = db.scalar(sa.select(Submission).where(Submission.id == submission_id, Submission.event_id == event_id)
                    .with_for_update().execution_options(populate_existing=True))
    if sub is None:
        raise errors.NotFound("Submission not found")
    if sub.status != "pending":
        raise errors.Conflict(f"This submission was already {sub.status}", field="status")
    already = db.scalar(sa.select(Review.id).where(Review.submission_id == sub.id,
                                                   Review.reviewer_id == reviewer_id))
    if already is not None:
        raise errors.Conflict("You have already reviewed this submission", field="decision")
    comment = (comment or "").strip()
    if decision == "reject" and not comment:
        raise errors.Invalid("comment: a reason is required to reject", field="comment")
    rev = Review(submission_id=sub.id, reviewer_id=reviewer_id, decision=decision, comment=comment,
                 created_at=now)
    db.add(rev)
    db.flush()
    outcome, token = None, None
    if decision == "reject":
        sub.status = "rejected"
        sub.decision_reason = comment
        sub.decided_at = now
        outcome = "rejected"
    else:
        call = get_call(db, event_id)
        required = call.required_validations if call else 1
        accepts = db.scalar(sa.select(sa.func.count()).select_from(Review)
                            .where(Review.submission_id == sub.id, Review.decision == "accept"))
        if accepts >= required:
            number = _next_number(db, call)
            event = db.get(Event, event_id)
            year = event.start_date.year if event else now.year
            token = secrets.token_urlsafe(32)
            sub.status = "accepted"
            sub.decided_at = now
            sub.decision_reason = None
            sub.contribution_number = number
            sub.code = f"EP-{year}-{number:04d}"
            sub.final_token_hash = hash_token(token)
            sub.final_token_expires_at = now + dt.timedelta(days=final_link_days)
            outcome = "accepted"
    db.flush()
    return {"submission": sub, "review": rev, "outcome": outcome, "token": token}


# --------------------------------------------------------------------------- final poster


def final_lookup(db, token: str, now=None, lock: bool = False) -> Submission:
    now = now or utcnow()
    stmt = sa.select(Submission).where(Submission.final_token_hash == hash_token(token or ""))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    sub = db.scalar(stmt)
    if sub is None or sub.status != "accepted":
        raise errors.NotFound("This final-submission link is not valid", field="token")
    if sub.final_token_used_at is not None:
        raise Gone("This final-submission link has already been used", field="token")
    if sub.final_token_expires_at is None or now >= sub.final_token_expires_at:
        raise Gone("This final-submission link has expired; contact the organisers", field="token")
    return sub


def names_text(value) -> str | None:
    """Authors as one text: a JSON list (names or {name}) or plain text, trimmed."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return text
        else:
            return text
    if isinstance(value, list):
        names = []
        for item in value:
            name = item.get("name") if isinstance(item, dict) else item
            if name is not None and str(name).strip():
                names.append(str(name).strip())
        return ", ".join(names)
    return str(value).strip()


def check_code(sub: Submission, data: dict) -> None:
    """A ``code`` sent with the final poster must be the link's own contribution code."""
    if data.get("code") and data["code"].strip().upper() != (sub.code or "").upper():
        raise errors.Invalid("code: this link belongs to another contribution", field="code")


def final_submit(db, sub: Submission, data: dict, poster_path: str, now=None) -> Submission:
    now = now or utcnow()
    check_code(sub, data)
    sub.final_title = (data.get("title") or "").strip() or sub.title
    authors = names_text(data.get("authors"))
    sub.final_authors = authors or names_text(sub.authors)
    sub.final_co_authors = names_text(data.get("co_authors")) or ""
    sub.poster_pdf = poster_path
    sub.final_submitted_at = now
    sub.final_token_used_at = now
    db.flush()
    return sub


# --------------------------------------------------------------------------- gallery & export


def gallery_query(event_id, search=None):
    stmt = sa.select(Submission).where(Submission.event_id == event_id, Submission.status == "accepted",
                                       Submission.poster_pdf.is_not(None))
    if search and search.strip():
        stmt = stmt.where(icontains(search, Submission.final_title, Submission.final_authors,
                                    Submission.final_co_authors, Submission.code))
    return stmt.order_by(Submission.contribution_number, Submission.id)


def serialize_gallery(request, subs: list[Submission], file_url) -> list[dict]:
    return [{
        "id": str(s.id),
        "submitted_at": s.final_submitted_at,
        "contribution_number": s.code,
        "title": s.final_title or s.title,
        "authors": s.final_authors or "",
        "co_authors": s.final_co_authors or "",
        "pdf_url": file_url(request, s.poster_pdf),
        "theme": s.theme,
    } for s in subs]


EXPORT_COLUMNS = ("Code", "Statut", "Soumis le", "Titre", "Thème", "Auteur (prénom)", "Auteur (nom)",
                  "E-mail", "Téléphone", "Institution", "Auteurs", "Acceptations", "Rejets", "Décidé le",
                  "Motif", "Poster final", "Titre final")


def export_rows(db, event_id):
    """Rows for the Excel export (review counts by SQL aggregate), in one query."""
    accepts = sa.func.sum(sa.case((Review.decision == "accept", 1), else_=0))
    rejects = sa.func.sum(sa.case((Review.decision == "reject", 1), else_=0))
    counts = (sa.select(Review.submission_id.label("sid"), accepts.label("accepts"), rejects.label("rejects"))
              .group_by(Review.submission_id).subquery())
    stmt = (sa.select(Submission, counts.c.accepts, counts.c.rejects)
            .outerjoin(counts, counts.c.sid == Submission.id)
            .where(Submission.event_id == event_id)
            .order_by(Submission.submitted_at, Submission.id))
    for sub, n_acc, n_rej in db.execute(stmt):
        yield [sub.code or "", sub.status, sub.submitted_at, sub.title, sub.theme or "", sub.author_first_name,
               sub.author_last_name, sub.author_email, sub.author_phone or "", sub.institution,
               names_text(sub.authors) or "", int(n_acc or 0), int(n_rej or 0), sub.decided_at,
               sub.decision_reason or "", "oui" if sub.poster_pdf else "non", sub.final_title or ""]


def export_for_user(db, user) -> dict:
    """Reviews written by ``user`` and submissions sent from their e-mail (personal-data export).

    Submissions are linked by address only once the user has verified it: registering with
    someone's address must not show their submissions."""
    rows = db.execute(sa.select(Review.submission_id, Review.decision, Review.comment, Review.created_at)
                      .where(Review.reviewer_id == user.id).order_by(Review.created_at)).all()
    subs = db.execute(sa.select(Submission.id, Submission.event_id, Submission.title, Submission.status,
                                Submission.submitted_at)
                      .where(Submission.author_email == (user.email or "").lower())
                      .order_by(Submission.submitted_at)).all() if user.email_verified_at is not None else []
    return {
        "eposters_reviews": [{"submission": str(r[0]), "decision": r[1], "comment": r[2], "created_at": r[3]}
                             for r in rows],
        "eposters_submissions": [{"id": str(r[0]), "event": str(r[1]), "title": r[2], "status": r[3],
                                  "submitted_at": r[4]} for r in subs],
    }


# --------------------------------------------------------------------------- global search


def search(db, event_id, query: str, role: str | None, user_id: int | None, limit: int) -> list[dict]:
    """``makeplus_search``: contributions whose title, authors or code contain every word.

    Accepted contributions (with or without their final poster) for every member of the
    event; pending and rejected submissions (and the author's e-mail as a searched field)
    only for gestionnaires, platform admins and the event's committee. One query (the
    committee membership is a subquery). Title words weigh 3, author/theme/code words 2,
    the exact code 10."""
    from makeplus_core.plugin_api import Matcher, parse_query

    try:
        text, terms = parse_query(query)
    except errors.Invalid:
        return []
    if role is None or not limit:
        return []
    m = Matcher(db.get_bind().dialect.name)
    fields = [(Submission.title, 3), (Submission.final_title, 3),
              (Submission.author_first_name, 2), (Submission.author_last_name, 2),
              (sa.cast(Submission.authors, sa.Text), 2), (Submission.final_authors, 2),
              (Submission.final_co_authors, 2), (Submission.theme, 2), (Submission.code, 2)]
    if role in (GESTIONNAIRE, "admin"):
        visible = sa.true()
        fields_all = fields + [(Submission.author_email, 1)]
    else:
        committee = sa.exists().where(CommitteeMember.event_id == event_id, CommitteeMember.user_id == user_id)
        visible = sa.or_(Submission.status == "accepted", committee)
        fields_all = fields + [(sa.case((committee, Submission.author_email), else_=None), 1)]
    fields = [(sa.func.coalesce(col, ""), w) for col, w in fields_all]
    code_match = sa.func.lower(sa.func.coalesce(Submission.code, "")) == text.lower()
    score = m.score(fields, terms) + sa.case((code_match, 10.0), else_=0.0)
    rows = db.execute(
        sa.select(Submission.id, Submission.status, Submission.title, Submission.final_title, Submission.code,
                  Submission.theme, Submission.author_first_name, Submission.author_last_name,
                  Submission.final_authors, (Submission.poster_pdf.is_not(None)).label("final"),
                  score.label("score"))
        .where(Submission.event_id == event_id, visible, m.all_terms_in(fields, terms))
        .order_by(sa.desc("score"), Submission.contribution_number, Submission.submitted_at, Submission.id)
        .limit(limit)).all()
    out = []
    for r in rows:
        authors = r.final_authors or f"{r.author_first_name} {r.author_last_name}".strip()
        url = (f"/api/eposter/{event_id}/gallery/?q={r.code}" if r.status == "accepted" and r.final and r.code
               else f"/api/eposter/{event_id}/submissions/?status={r.status}")
        out.append({"type": "eposter", "id": str(r.id), "title": r.final_title or r.title,
                    "subtitle": " · ".join(x for x in (r.code, authors) if x), "score": float(r.score),
                    "url": url, "extra": {"status": r.status, "code": r.code, "theme": r.theme,
                                          "final_submitted": bool(r.final)}})
    return out
