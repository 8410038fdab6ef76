"""Search indexes (PostgreSQL only) on the core tables the global search reads.

No table lives here: these are indexes attached to ``users``, ``sessions`` and
``rooms``. They use PostgreSQL features (GIN, ``pg_trgm``, ``to_tsvector`` and the
immutable ``f_unaccent`` wrapper created by migration ``0002_insights``), so they are
created only on PostgreSQL. Each carries ``info={"dialect": "postgresql"}``: the
migration-drift test and Alembic's autogenerate skip such indexes on other
dialects (see :func:`makeplus_core.migrate.include_object`).

The same expressions are used by the queries in :mod:`makeplus_core.search.services`
so that the planner matches them with the indexes.
"""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import User
from ..rooms.models import Room
from ..sessions.models import Session

PG_ONLY = {"dialect": "postgresql"}
SPACE = sa.literal_column("' '")


def concat(*cols):
    """``a || ' ' || b ...`` rendered with a literal space (no bound parameter), so
    the expression is identical in the index and in the query."""
    expr = cols[0]
    for col in cols[1:]:
        expr = expr.op("||")(SPACE).op("||")(col)
    return expr


def pg_fold(expr):
    """Lower-case and accent-free text on PostgreSQL (immutable, indexable)."""
    return sa.func.f_unaccent(sa.func.lower(expr))


def pg_tsvector(expr):
    # 'simple': no language-specific stemming or stop words, so French and English
    # words match alike (accents folded by f_unaccent); prefix queries (word:*) do
    # the rest.
    return sa.func.to_tsvector(sa.literal_column("'simple'"), sa.func.f_unaccent(expr))


def user_search_text():
    return concat(User.email, User.first_name, User.last_name)


def session_search_text():
    return concat(Session.title, Session.description, Session.speaker_name, Session.theme)


def room_search_text():
    return concat(Room.name, Room.description)


# Trigram index: substring search (part of an e-mail address, of a name) over
# 100,000 participants answers with a Bitmap Index Scan.
ix_users_search_trgm = sa.Index(
    "ix_users_search_trgm", pg_fold(user_search_text()).label("search"),
    postgresql_using="gin", postgresql_ops={"search": "gin_trgm_ops"}, info=PG_ONLY)

# Full-text indexes for sessions and rooms.
ix_sessions_search_fts = sa.Index(
    "ix_sessions_search_fts", pg_tsvector(session_search_text()).label("search"), postgresql_using="gin", info=PG_ONLY)
ix_rooms_search_fts = sa.Index(
    "ix_rooms_search_fts", pg_tsvector(room_search_text()).label("search"), postgresql_using="gin", info=PG_ONLY)
# The literal regconfig hides the table from Index's inference: attach explicitly.
for _table, _index in ((Session.__table__, ix_sessions_search_fts), (Room.__table__, ix_rooms_search_fts)):
    if _index.table is None:
        _table.append_constraint(_index)
