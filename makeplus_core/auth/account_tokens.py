"""Single-use codes mailed to an address: account invitations and e-mail verification.

One table, one mechanism: a code is 32 random bytes (URL-safe), only its SHA-256 is
stored, it expires, it is used once, and issuing a new code of the same purpose to the
same user supersedes (uses up) the previous ones. ``email`` is the address the code
was sent to: using the code proves control of that address and nothing else.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .. import errors
from ..db import Base, UTCDateTime, new_uuid, utcnow

INVITATION = "invitation"
VERIFY_EMAIL = "verify_email"
PURPOSES = (INVITATION, VERIFY_EMAIL)


class AccountToken(Base):
    """A single-use code sent by mail (invitation to set a password, or e-mail verification)."""

    __tablename__ = "account_tokens"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('invitation', 'verify_email')", name="purpose_valid"),
        sa.Index("ix_account_tokens_user_purpose", "user_id", "purpose"),
    )


def hash_code(code: str) -> str:
    return hashlib.sha256((code or "").encode()).hexdigest()


def issue(db, user, purpose: str, email: str, ttl: dt.timedelta, event_id=None, created_by_id=None) -> str:
    """A new code for ``user``; their other unused codes of this purpose are used up."""
    now = utcnow()
    db.execute(sa.update(AccountToken)
               .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
                      AccountToken.used_at.is_(None))
               .values(used_at=now))
    code = secrets.token_urlsafe(32)
    db.add(AccountToken(user_id=user.id, purpose=purpose, email=email, token_hash=hash_code(code),
                        event_id=event_id, created_by_id=created_by_id, created_at=now, expires_at=now + ttl))
    db.flush()
    return code


def issue_many(db, users, purpose: str, ttl: dt.timedelta, event_id=None, created_by_id=None) -> dict:
    """:func:`issue` for many users at once (to their current address): ``{user id: code}``;
    one UPDATE uses up their earlier codes, one multi-row INSERT stores the new ones."""
    users = list(users)
    if not users:
        return {}
    now = utcnow()
    db.execute(sa.update(AccountToken)
               .where(AccountToken.user_id.in_([u.id for u in users]), AccountToken.purpose == purpose,
                      AccountToken.used_at.is_(None))
               .values(used_at=now))
    codes = {}
    rows = []
    for user in users:
        code = secrets.token_urlsafe(32)
        codes[user.id] = code
        rows.append(AccountToken(user_id=user.id, purpose=purpose, email=user.email, token_hash=hash_code(code),
                                 event_id=event_id, created_by_id=created_by_id, created_at=now,
                                 expires_at=now + ttl))
    db.add_all(rows)
    db.flush()
    return codes


def find_valid(db, code: str, purpose: str, lock: bool = False) -> AccountToken | None:
    """The unused, unexpired code of this purpose, or ``None``."""
    if not code or len(code) > 200:
        return None
    stmt = sa.select(AccountToken).where(AccountToken.token_hash == hash_code(code),
                                         AccountToken.purpose == purpose)
    if lock:
        stmt = stmt.with_for_update()
    row = db.scalar(stmt)
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def consume(db, code: str, purpose: str) -> AccountToken:
    """Use the code once (row locked); 400 naming ``token`` if it is unknown, used or expired."""
    row = find_valid(db, code, purpose, lock=True)
    if row is None:
        raise errors.Invalid("token: this link is invalid, already used or expired", field="token")
    row.used_at = utcnow()
    return row
