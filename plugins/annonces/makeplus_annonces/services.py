"""Announcement domain functions."""
from __future__ import annotations

import sqlalchemy as sa

from makeplus_core.plugin_api import (
    CONTROLLEUR,
    EXPOSANT,
    GESTIONNAIRE,
    PARTICIPANT,
    User,
    errors,
    icontains,
)

from .models import Annonce

# The annonce ``target`` that addresses each role (the plugin's own vocabulary).
TARGET_FOR_ROLE = {
    GESTIONNAIRE: "gestionnaires",
    CONTROLLEUR: "controlleurs",
    PARTICIPANT: "participants",
    EXPOSANT: "exposants",
}


def visible_targets(role: str | None, is_admin: bool) -> tuple[str, ...] | None:
    """Targets a role may read; ``None`` means all (gestionnaires, admins)."""
    if is_admin or role == GESTIONNAIRE:
        return None
    own = TARGET_FOR_ROLE.get(role)
    return ("all", own) if own else ("all",)


def list_query(event_id, role, is_admin, target=None, created_by=None, search=None):
    stmt = sa.select(Annonce).where(Annonce.event_id == event_id)
    targets = visible_targets(role, is_admin)
    if targets is not None:
        stmt = stmt.where(Annonce.target.in_(targets))
    if target:
        stmt = stmt.where(Annonce.target == target)
    if created_by is not None:
        stmt = stmt.where(Annonce.created_by_id == created_by)
    if search:
        stmt = stmt.where(icontains(search, Annonce.title, Annonce.description))
    return stmt.order_by(Annonce.created_at.desc(), Annonce.id)


def get_visible(db, annonce_id, event_id, role, is_admin) -> Annonce:
    from makeplus_core.plugin_api import get_or_404

    annonce = get_or_404(db, Annonce, annonce_id, event_id, label="Annonce")
    targets = visible_targets(role, is_admin)
    if targets is not None and annonce.target not in targets:
        raise errors.NotFound("Annonce not found")
    return annonce


def check_can_edit(annonce: Annonce, user_id: int, role, is_admin) -> None:
    if is_admin or role == GESTIONNAIRE or annonce.created_by_id == user_id:
        return
    raise errors.Forbidden("Only the author or a gestionnaire of the event can change this annonce")


def create(db, event_id, user_id, data: dict) -> Annonce:
    annonce = Annonce(event_id=event_id, created_by_id=user_id, title=data["title"],
                      description=data.get("description", ""), target=data.get("target", "all"))
    db.add(annonce)
    db.flush()
    return annonce


def update(db, annonce: Annonce, changes: dict) -> Annonce:
    for key in ("title", "description", "target"):
        if key in changes:
            setattr(annonce, key, changes[key])
    db.flush()
    return annonce


def serialize(db, annonces: list[Annonce]) -> list[dict]:
    ids = {a.created_by_id for a in annonces if a.created_by_id}
    names = {}
    if ids:
        for uid, first, last, username in db.execute(
                sa.select(User.id, User.first_name, User.last_name, User.username).where(User.id.in_(ids))):
            names[uid] = f"{first} {last}".strip() or username
    return [{
        "id": str(a.id),
        "event": str(a.event_id),
        "title": a.title,
        "description": a.description,
        "target": a.target,
        "created_by": a.created_by_id,
        "creator_name": names.get(a.created_by_id),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    } for a in annonces]


def export_for_user(db, user) -> list[dict]:
    rows = db.scalars(sa.select(Annonce).where(Annonce.created_by_id == user.id)
                      .order_by(Annonce.created_at)).all()
    return serialize(db, rows)


def search(db, event_id, query: str, role: str | None, limit: int) -> list[dict]:
    """``makeplus_search``: annonces of the event visible to ``role`` whose title or
    description contains every word; title words weigh 3, description words 1."""
    import re

    terms = re.findall(r"\w+", (query or "").lower())[:6]
    if not terms or not limit:
        return []

    def contains(col, term):
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return sa.func.lower(col).like(pattern, escape="\\")

    score = sum((sa.case((contains(Annonce.title, t), 3), else_=0)
                 + sa.case((contains(Annonce.description, t), 1), else_=0) for t in terms[1:]),
                sa.case((contains(Annonce.title, terms[0]), 3), else_=0)
                + sa.case((contains(Annonce.description, terms[0]), 1), else_=0))
    stmt = sa.select(Annonce.id, Annonce.title, Annonce.target, Annonce.created_at,
                     score.label("score")).where(
        Annonce.event_id == event_id,
        *[sa.or_(contains(Annonce.title, t), contains(Annonce.description, t)) for t in terms])
    targets = visible_targets(role, role == "admin")
    if targets is not None:
        stmt = stmt.where(Annonce.target.in_(targets))
    rows = db.execute(stmt.order_by(sa.desc("score"), Annonce.created_at.desc()).limit(limit)).all()
    return [{"type": "annonce", "id": str(r.id), "title": r.title, "subtitle": r.target,
             "score": float(r.score), "url": f"/api/annonces/{r.id}/",
             "extra": {"target": r.target, "created_at": r.created_at}} for r in rows]
