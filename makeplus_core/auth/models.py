"""Accounts: users (with their one badge), auth sessions (refresh-token families)
and password-reset tokens."""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, new_uuid, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    username: Mapped[str] = mapped_column(sa.String(150), nullable=False)
    first_name: Mapped[str] = mapped_column(sa.String(150), nullable=False, default="")
    last_name: Mapped[str] = mapped_column(sa.String(150), nullable=False, default="")
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    organization: Mapped[str | None] = mapped_column(sa.String(200))
    job_title: Mapped[str | None] = mapped_column(sa.String(200))
    profile_photo_url: Mapped[str | None] = mapped_column(sa.String(500))
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    # Bumped to invalidate every token of the user at once (password change, account lock).
    token_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # The user's one badge, the same for every event: USER-{id}-{8 chars}.
    badge_id: Mapped[str | None] = mapped_column(sa.String(64))
    badge_issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow,
                                                    onupdate=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the owner proved control of ``email`` (verification or invitation link);
    # data linked to an address is attached to the account only once it is set.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("email"),  # stored lower-cased (auth.services.normalize_email)
        sa.UniqueConstraint("username"),
        sa.UniqueConstraint("badge_id"),
    )

    @property
    def full_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.username


AUTH_SESSION_KINDS = ("api", "select")


class AuthSession(Base):
    """One login: the family of refresh tokens issued from it.

    Access tokens carry the session id (``sid``); revoking the session (logout,
    refresh-token reuse) makes every token of it fail at once. Only the newest
    refresh token of a session (``refresh_jti``) is accepted: presenting an older
    one is reuse of a stolen token and revokes the session.

    ``kind = "select"`` is the server-side record of a multi-event login's temporary
    token (``typ: select``, ``sid`` = this row): short-lived (``expires_at``), used up by
    ``select-event`` (``revoked_at``), revoked by logout and password changes like any
    session. A temporary token naming no such live row is refused.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="api", server_default="api")
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    refresh_jti: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {AUTH_SESSION_KINDS!r}", name="kind_valid"),
    )


class PasswordResetToken(Base):
    """A single-use password reset code; only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
