"""Reads without ``BEGIN``/``ROLLBACK`` on PostgreSQL (issue 20): the sessions of GET/HEAD/OPTIONS
requests run on connections in autocommit, and the first statement that is not a plain read
opens the transaction, so a read that writes still writes all or nothing
(``makeplus_core.db.read_engine``)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
import zope.sqlalchemy

from makeplus_core.db import is_plain_read

IDLE, INTRANS = 0, 2  # psycopg.pq.TransactionStatus


@pytest.mark.parametrize("statement, plain", [
    ("SELECT users.id FROM users WHERE users.id = %(id)s", True),
    ("  select count(*) over () from sessions", True),
    ("SELECT rooms.id FROM rooms WHERE rooms.id = %(id)s FOR UPDATE", False),
    ("SELECT rooms.id FROM rooms FOR NO KEY UPDATE OF rooms", False),
    ("SELECT 1 FROM participants FOR SHARE", False),
    ("SELECT pg_advisory_xact_lock(42)", False),
    ("SELECT nextval('users_id_seq')", False),
    ("SELECT set_config('x.y', '1', true)", False),
    ("INSERT INTO room_access (id) VALUES (%(id)s)", False),
    ("UPDATE participants SET is_checked_in = true", False),
    ("DELETE FROM auth_sessions", False),
    ("WITH gone AS (DELETE FROM x RETURNING id) SELECT count(*) FROM gone", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("SET LOCAL statement_timeout = 1000", False),
])
def test_plain_reads_are_told_apart(statement, plain):
    assert is_plain_read(statement) is plain


def _postgresql(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's reads take a deferred BEGIN (tests/test_perf_scan.py)")


def _lazy_session(engine_url):
    """A request-like session of a read (``get_tm_session(..., lazy_begin=True)``) on an engine set
    up as the app's (``db._install_lazy_begin``), with its own transaction manager."""
    import transaction

    from makeplus_core.db import _install_lazy_begin, get_engine, get_session_factory, get_tm_session

    eng = get_engine({"sqlalchemy.url": engine_url, "sqlalchemy.pool_size": 1, "sqlalchemy.max_overflow": 0})
    _install_lazy_begin(eng)
    tm = transaction.TransactionManager(explicit=True)
    return eng, tm, lambda: get_tm_session(get_session_factory(eng), tm, lazy_begin=True)


def _status(session):
    return session.connection().connection.driver_connection.pgconn.transaction_status


def test_reads_run_outside_a_transaction_and_a_write_opens_one(engine):
    _postgresql(engine)
    eng, tm, new_session = _lazy_session(engine.url.render_as_string(hide_password=False))
    try:
        tm.begin()
        session = new_session()
        assert session.execute(sa.text("SELECT count(*) FROM users")).scalar() >= 0
        assert _status(session) == IDLE  # no BEGIN was sent for the read
        session.execute(sa.text("CREATE TEMPORARY TABLE lazy_begin_probe (x integer)"))
        session.execute(sa.text("INSERT INTO lazy_begin_probe VALUES (1)"))
        assert _status(session) == INTRANS  # the first write opened the transaction
        tm.abort()  # as pyramid_tm on an error: everything since the BEGIN is rolled back
        raw = eng.raw_connection()  # the pool's one connection, given back
        try:
            assert raw.driver_connection.autocommit is False  # back to normal for the next request
            cur = raw.cursor()
            cur.execute("SELECT to_regclass('pg_temp.lazy_begin_probe')")
            assert cur.fetchone()[0] is None  # the table and its row are gone
            raw.rollback()
        finally:
            raw.close()

        tm.begin()  # a streamed read: a server-side cursor lives in a transaction
        session = new_session()
        rows = session.execute(sa.text("SELECT g FROM generate_series(1, 10) AS g"),
                               execution_options={"stream_results": True, "max_row_buffer": 2})
        assert _status(session) == INTRANS
        assert [r[0] for r in rows] == list(range(1, 11))
        tm.abort()

        tm.begin()  # a lock needs the transaction
        session = new_session()
        session.execute(sa.text("SELECT 1 FROM users LIMIT 1 FOR UPDATE"))
        assert _status(session) == INTRANS
        tm.abort()

        tm.begin()  # a read that writes commits its writes
        session = new_session()
        session.execute(sa.text("CREATE TABLE lazy_begin_kept (x integer)"))
        session.execute(sa.text("INSERT INTO lazy_begin_kept VALUES (7)"))
        zope.sqlalchemy.mark_changed(session, tm)  # as every Core write of the app does
        tm.commit()
        with eng.connect() as conn:
            assert conn.execute(sa.text("SELECT x FROM lazy_begin_kept")).scalar() == 7
            conn.execute(sa.text("DROP TABLE lazy_begin_kept"))
            conn.commit()
    finally:
        eng.dispose()


def test_a_get_reads_outside_a_transaction_and_a_post_inside_one(engine, make_app, f, db):
    """The request path: a GET's session is on the read engine (no transaction after any of its
    statements); a POST's statements run in the request's transaction as before."""
    _postgresql(engine)
    app = make_app()
    event = f.event()
    user = f.member(event, "participant")
    db.commit()
    headers = f.auth(user, event)
    seen = []

    def after(conn, cursor, statement, *args):
        seen.append((statement.split(None, 1)[0].upper(), cursor.connection.info.transaction_status))

    app_engine = app.app.registry.makeplus.db_engine
    sa.event.listen(app_engine, "after_cursor_execute", after)
    try:
        assert app.get("/api/auth/me/", headers=headers).status_code == 200
        gets, seen[:] = list(seen), []
        app.post_json("/api/auth/logout/", {}, headers=headers, status="*")
        posts = list(seen)
    finally:
        sa.event.remove(app_engine, "after_cursor_execute", after)
    assert gets and all(verb == "SELECT" and status == IDLE for verb, status in gets), gets
    assert posts and all(status == INTRANS for _, status in posts), posts
