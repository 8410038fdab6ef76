"""Database plumbing: the declarative ``Base``, column types, the engine and the
per-request session managed by pyramid_tm.

Every model of the core and of every plugin lives on :data:`Base` so that one
``MetaData`` describes the whole schema (the migration drift test relies on it).
"""
from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import threading
import uuid

import psycopg
import sqlalchemy as sa
import zope.sqlalchemy
import zope.sqlalchemy.datamanager
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores the naive UTC value. Values
    read back are always aware (UTC); naive values written are taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


Money = sa.Numeric(12, 2, asdecimal=True)



def dialect_insert(db, table):
    """``INSERT`` for ``table`` in the dialect of ``db``'s database (a Session, Connection or
    Engine): PostgreSQL's or SQLite's, the two that offer ``on_conflict_do_nothing`` /
    ``on_conflict_do_update`` (the only reason to pick one)."""
    from sqlalchemy.dialects import postgresql, sqlite

    bind = db.get_bind() if hasattr(db, "get_bind") else db
    return (postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert)(table)

class RawSelect:
    """A Core ``SELECT`` (or ``WITH … SELECT``) compiled once per dialect and, on psycopg, run
    straight on the DBAPI cursor of a SQLAlchemy ``Connection``: no compiled-cache lookup,
    execution context or result object per call (about a third of the CPU of the scan
    door's one statement went there). Bind and result processors of the column types still
    apply (``UTCDateTime``…), so a row reads exactly as through ``Connection.execute``.
    Other drivers (SQLite) go through ``execute`` as usual.

    ``first(conn, params)`` returns the first row (attributes named by the columns' labels)
    or ``None``, ``all(conn, params)`` every row. A connection lost mid-statement is
    invalidated and the error marked retryable, as :func:`_retry_on_disconnect` does for
    every other statement.
    """

    def __init__(self, stmt):
        self.stmt = stmt
        self._compiled = {}  # dialect name -> _Compiled
        self._lock = threading.Lock()

    def first(self, conn, params: dict):
        """The first row on ``conn`` (a SQLAlchemy ``Connection``, in its transaction)."""
        if conn.dialect.driver != "psycopg":
            return conn.execute(self.stmt, params).first()
        return self._run(conn, conn.connection.driver_connection, params, conn.invalidate)

    def all(self, conn, params: dict) -> list:
        """Every row on ``conn`` (a SQLAlchemy ``Connection``, in its transaction)."""
        if conn.dialect.driver != "psycopg":
            return conn.execute(self.stmt, params).all()
        return self._run(conn, conn.connection.driver_connection, params, conn.invalidate, many=True)

    def first_autocommit(self, engine, params: dict):
        """The first row, the statement run on its own (autocommit: no BEGIN/COMMIT round
        trips) on a connection of ``engine``'s pool (PostgreSQL with psycopg only)."""
        fairy = engine.raw_connection()
        raw = fairy.driver_connection
        try:
            raw.autocommit = True  # a local switch while no transaction is open: no round trip
            return self._run(engine, raw, params, fairy.invalidate)
        finally:
            if not raw.closed:
                try:
                    raw.autocommit = False  # back to the pool as every other connection is
                except engine.dialect.dbapi.Error:
                    fairy.invalidate()
            fairy.close()

    def _run(self, bind, raw, params: dict, invalidate, many: bool = False):
        compiled = self._compiled.get("psycopg") or self._compile(bind.dialect)
        values = dict(compiled.defaults)
        values.update(params)
        for name, proc in compiled.binds:
            value = values.get(name)
            if value is not None:
                values[name] = proc(value)
        try:
            cur = raw.cursor()
            if bind.dispatch.before_cursor_execute:  # listeners see it as any statement (tests count them)
                for listener in bind.dispatch.before_cursor_execute:
                    listener(bind, cur, compiled.sql, values, None, False)
            cur.execute(compiled.sql, values)
            rows = cur.fetchall() if many else cur.fetchmany(1)
        except bind.dialect.dbapi.Error as exc:
            raise _raw_failure(bind, raw, exc, compiled.sql, values, invalidate) from exc
        if not rows:
            return [] if many else None
        results = compiled.results
        if results is None:
            results = compiled.results = _result_processors(self.stmt, bind.dialect, cur.description)
        make = compiled.row_class._make
        if results:
            for n, row in enumerate(rows):
                row = rows[n] = list(row)
                for i, proc in results:
                    row[i] = proc(row[i])
        return [make(row) for row in rows] if many else make(rows[0])

    def _compile(self, dialect):
        with self._lock:
            found = self._compiled.get(dialect.driver)
            if found is None:
                found = self._compiled[dialect.driver] = _Compiled(self.stmt, dialect)
            return found


class _Compiled:
    def __init__(self, stmt, dialect):
        compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = compiled.string
        self.defaults = dict(compiled.params)
        procs = compiled._bind_processors
        self.binds = tuple((name, proc) for name, proc in procs.items() if proc is not None)
        self.results = None  # (index, processor) pairs, from the first cursor's description
        names = [col.key for col in stmt.selected_columns]
        self.row_class = collections.namedtuple("RawRow", names, rename=False)


def _result_processors(stmt, dialect, description) -> tuple:
    found = []
    for i, (col, desc) in enumerate(zip(stmt.selected_columns, description, strict=True)):
        proc = col.type._cached_result_processor(dialect, desc[1])
        if proc is not None:
            found.append((i, proc))
    return tuple(found)


def _raw_failure(bind, raw, exc, sql, params, invalidate) -> Exception:
    """The SQLAlchemy error for a failed :class:`RawSelect` statement (as ``execute`` would
    raise it). When the server connection is gone, the connection is invalidated and the
    error marked retryable: pyramid_retry runs the request again (the statement left nothing
    behind), as :func:`_retry_on_disconnect` does for every other statement."""
    broken = bool(getattr(raw, "broken", False) or getattr(raw, "closed", False))
    wrapped = sa.exc.DBAPIError.instance(sql, params, exc, bind.dialect.dbapi.Error,
                                         connection_invalidated=broken)
    if broken:
        invalidate()
        from pyramid_retry import mark_error_retryable

        mark_error_retryable(wrapped)
    return wrapped


def icontains(text, *columns):
    """SQL condition: ``text`` (lower-cased, stripped) is a substring of one of ``columns``.

    The simple search of every list (``?search=``/``?q=``); NULL columns never match.
    ``text`` may be a bind parameter instead (a statement built once, run with other
    texts): its value is then :func:`contains_pattern` of the text.
    """
    like = contains_pattern(text) if isinstance(text, str) else text
    return sa.or_(*(sa.func.lower(sa.func.coalesce(col, "")).like(like) for col in columns))


def contains_pattern(text: str) -> str:
    """The ``LIKE`` pattern of :func:`icontains`: the text lower-cased and stripped, anywhere."""
    return f"%{text.strip().lower()}%"


READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def uuid_pk():
    return sa.orm.mapped_column(sa.Uuid, primary_key=True, default=new_uuid)


def get_engine(settings: dict, prefix: str = "sqlalchemy.", immediate: bool = True) -> sa.Engine:
    """The engine for ``settings``. On SQLite, ``immediate`` makes every transaction
    ``BEGIN IMMEDIATE`` (the app's); tests and scripts that only arrange data pass
    ``False`` so that a pending read never holds the write lock."""
    url = settings[prefix + "url"]
    kwargs = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # No ping on every checkout (one more round trip per request, ~30 % of a health
        # check): a connection found dead while a request runs is invalidated with the
        # whole pool and the request retried (:func:`_retry_on_disconnect`).
        kwargs["pool_pre_ping"] = str(settings.get("sqlalchemy.pool_pre_ping", "false")).lower() in ("true", "1")
        kwargs["pool_recycle"] = int(settings.get("sqlalchemy.pool_recycle", 3600))
        kwargs["pool_size"] = int(settings.get("sqlalchemy.pool_size", 10))
        kwargs["max_overflow"] = int(settings.get("sqlalchemy.max_overflow", 20))
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.driver == "psycopg":
        _psycopg_query_cache()
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, immediate)
    else:
        event.listen(engine, "handle_error", _retry_on_disconnect)
    return engine


def _psycopg_query_cache() -> None:
    """psycopg converts a query's ``%(name)s`` placeholders to ``$n`` on every execution
    unless the query is shorter than 4,096 characters (then the conversion is cached). The
    scan door's one statement (access/pipeline.py) is longer: allow 16,384. A private
    constant of psycopg 3: left alone when a release renames it."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - another driver
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", 16384) < 16384:
        _queries.MAX_CACHED_STATEMENT_LENGTH = 16384


def _retry_on_disconnect(context) -> None:
    """A statement that failed because the server connection was gone (database
    restarted, idle connection cut) leaves nothing behind: pyramid_retry runs the
    request again on a fresh connection. A failure during COMMIT is not retried (its
    outcome is unknown)."""
    if context.is_disconnect and context.statement is not None:
        from pyramid_retry import mark_error_retryable

        mark_error_retryable(context.sqlalchemy_exception)


def _configure_sqlite(engine: sa.Engine, immediate: bool = True) -> None:
    """Foreign keys on, WAL for concurrent readers, and real transactions.

    pysqlite's own transaction handling does not emit BEGIN before SELECTs, so a
    read-then-write request could interleave with another writer. We take over:
    autocommit at the driver level and an explicit ``BEGIN IMMEDIATE`` per
    transaction, which serialises writers and makes row-lock style code correct.
    Connections marked ``makeplus_read_only`` (the sessions of GET/HEAD/OPTIONS
    requests, see :func:`includeme`) begin with a plain deferred ``BEGIN``: with WAL
    they read a snapshot and never wait for (nor block) a writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        if immediate:
            dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    if immediate:
        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            read_only = conn.get_execution_options().get("makeplus_read_only")
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


# --------------------------------------------------------------------------- reads without BEGIN (PostgreSQL)

_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
# a SELECT that locks rows or has an effect needs the transaction as much as a write does
_NOT_A_PLAIN_READ = re.compile(r"\bFOR\s+(?:UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b|pg_advisory|nextval|setval"
                               r"|pg_notify|set_config|txid_current|pg_current_xact_id", re.IGNORECASE)


_PLAIN_READS: dict = {}  # statement text -> bool: the app's statements are a few hundred texts


def is_plain_read(statement: str) -> bool:
    """A ``SELECT`` that neither locks rows nor has an effect: it runs as well outside a
    transaction as inside a READ COMMITTED one (each statement has its own snapshot in both)."""
    found = _PLAIN_READS.get(statement)
    if found is None:
        found = _SELECT.match(statement) is not None and _NOT_A_PLAIN_READ.search(statement) is None
        if len(_PLAIN_READS) < 4096:
            _PLAIN_READS[statement] = found
    return found


LAZY_BEGIN = "makeplus.lazy_begin"  # session.info: a read request's session (see read_engine)
_LAZY_MARK = "_makeplus_lazy_begin"  # on a psycopg connection lent to such a session
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


class LazyBeginCursor(psycopg.Cursor):
    """psycopg's cursor, which on a connection lent to a read request's session (autocommit,
    marked by :func:`lend_for_reads`) sends ``BEGIN`` before the first statement that is not a
    plain read: plain reads cost no ``BEGIN`` and no ``ROLLBACK`` round trip, and a read that
    writes after all writes in one transaction, which pyramid_tm commits or rolls back as for
    any request (psycopg's ``commit()``/``rollback()`` act on the server's transaction whatever
    the autocommit flag). Every other connection: psycopg's cursor as it is."""

    def execute(self, query, params=None, **kwargs):
        conn = self._conn
        if getattr(conn, _LAZY_MARK, False) and conn.pgconn.transaction_status == _IDLE and not (
                isinstance(query, str) and is_plain_read(query)):
            psycopg.Cursor(conn).execute("BEGIN")
        return super().execute(query, params, **kwargs)


class LazyBeginServerCursor(psycopg.ServerCursor):
    """The same for server-side cursors (a streamed export): ``DECLARE … CURSOR`` needs a transaction."""

    def execute(self, query, params=None, **kwargs):
        conn = self._conn
        if getattr(conn, _LAZY_MARK, False) and conn.pgconn.transaction_status == _IDLE:
            psycopg.Cursor(conn).execute("BEGIN")
        return super().execute(query, params, **kwargs)


def lend_for_reads(connection) -> None:
    """Put the psycopg connection under a read request's session in lazy-begin mode (its
    session began: nothing was sent yet). :func:`_give_back` undoes it when the pool takes
    the connection back."""
    raw = connection.connection.driver_connection
    if isinstance(raw, psycopg.Connection) and raw.pgconn.transaction_status == _IDLE:
        raw.autocommit = True
        setattr(raw, _LAZY_MARK, True)


def _give_back(dbapi_connection, connection_record) -> None:
    """Pool ``checkin``: a lent connection back to normal (autocommit off, the pool's reset has
    rolled back whatever was open) before anyone else gets it."""
    if dbapi_connection is not None and getattr(dbapi_connection, _LAZY_MARK, False):
        setattr(dbapi_connection, _LAZY_MARK, False)
        try:
            dbapi_connection.autocommit = False
        except psycopg.Error:  # still in a transaction: never lend it again
            connection_record.invalidate()


def _install_lazy_begin(engine: sa.Engine) -> None:
    """PostgreSQL with psycopg: every connection gets the cursors above (inert until lent)."""

    @event.listens_for(engine, "connect")
    def _cursors(dbapi_connection, _record):
        dbapi_connection.cursor_factory = LazyBeginCursor
        dbapi_connection.server_cursor_factory = LazyBeginServerCursor

    event.listen(engine, "checkin", _give_back)


def read_engine(engine: sa.Engine) -> sa.Engine:
    """The engine of GET/HEAD/OPTIONS requests' sessions.

    * SQLite: a deferred ``BEGIN`` instead of ``BEGIN IMMEDIATE`` (:func:`_configure_sqlite`):
      reads never queue behind writers for the write lock.
    * PostgreSQL: the same engine; the session is marked :data:`LAZY_BEGIN` and its connection
      lent in lazy-begin mode (:class:`LazyBeginCursor`): a read-only request is its statements'
      round trips and nothing else (``BEGIN`` and ``ROLLBACK`` were two more per request); a
      read that writes after all still writes in one transaction, opened at its first write.
      Reads before it see what each statement sees in READ COMMITTED, as they would inside the
      transaction.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(makeplus_read_only=True)
    return engine


def get_session_factory(engine: sa.Engine) -> sessionmaker:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    _RequestTransactionEvents.listen(factory)
    return factory


def get_tm_session(session_factory, transaction_manager, request=None, lazy_begin: bool = False):
    """A session of ``session_factory`` that joins ``transaction_manager``'s transaction (the
    request's, pyramid_tm) when it begins, as ``zope.sqlalchemy.register`` would do.
    ``lazy_begin``: a read request's session on PostgreSQL (:func:`read_engine`)."""
    info = {"request": request, TM_KEY: transaction_manager}
    if lazy_begin:
        info[LAZY_BEGIN] = True
    return session_factory(info=info)


TM_KEY = "makeplus.transaction_manager"


class _RequestTransactionEvents:
    """zope.sqlalchemy's session events (``ZopeTransactionEvents``), registered **once on the
    session factory** instead of on every request's session: registering seven listeners per
    session was about a tenth of a simple read's CPU. Each event joins the transaction manager
    of the session's own request (``session.info[TM_KEY]``); a session of the same factory
    without one (scripts, jobs, tests' helpers) is left alone, as before."""

    @classmethod
    def listen(cls, factory) -> None:
        for name in ("after_begin", "after_attach", "after_flush", "after_bulk_update", "after_bulk_delete",
                     "before_commit", "do_orm_execute"):
            event.listen(factory, name, getattr(cls, name))

    @staticmethod
    def after_begin(session, transaction, connection):
        info = session.info
        tm = info.get(TM_KEY)
        if tm is not None:
            zope.sqlalchemy.datamanager.join_transaction(session, transaction_manager=tm)
        if info.get(LAZY_BEGIN):
            lend_for_reads(connection)

    @staticmethod
    def after_attach(session, instance):
        tm = session.info.get(TM_KEY)
        if tm is not None:
            zope.sqlalchemy.datamanager.join_transaction(session, transaction_manager=tm)

    @staticmethod
    def after_flush(session, flush_context):
        tm = session.info.get(TM_KEY)
        if tm is not None:
            zope.sqlalchemy.mark_changed(session, tm)

    @staticmethod
    def after_bulk_update(update_context):
        _RequestTransactionEvents.after_flush(update_context.session, None)

    @staticmethod
    def after_bulk_delete(delete_context):
        _RequestTransactionEvents.after_flush(delete_context.session, None)

    @staticmethod
    def before_commit(session):
        tm = session.info.get(TM_KEY)
        if tm is not None:
            assert session.in_nested_transaction() or tm.get().status == "Committing", \
                "Transaction must be committed using the transaction manager"

    @staticmethod
    def do_orm_execute(execute_state):
        if execute_state.is_orm_statement and (execute_state.is_update or execute_state.is_insert
                                               or execute_state.is_delete):
            _RequestTransactionEvents.after_flush(execute_state.session, None)


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    # pyramid_tm would read the identity of every request (request.authenticated_userid) to
    # annotate its transaction, a database query even where the view needs no identity.
    settings.setdefault("tm.annotate_user", "false")
    # pyramid_retry re-runs a request whose transaction failed with a transient error
    # (serialization failure, deadlock): up to 3 attempts.
    settings.setdefault("retry.attempts", "3")
    settings.setdefault("retry.activate_hook", "makeplus_core.meta.fast.retry_attempts")  # (no database: 1)
    settings.setdefault("tm.commit_veto", "makeplus_core.db.commit_veto")
    config.include("pyramid_tm")
    config.include("pyramid_retry")
    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    config.registry.makeplus.dbsession_factory = session_factory
    config.registry.makeplus.db_engine = engine
    # reads never wait for SQLite's write lock nor pay BEGIN/ROLLBACK on PostgreSQL (read_engine)
    reads = read_engine(engine)
    read_factory = functools.partial(session_factory, bind=reads) if reads is not engine else session_factory
    lazy_reads = engine.dialect.driver == "psycopg"
    if lazy_reads:
        _install_lazy_begin(engine)

    def dbsession(request):
        dbsession = request.environ.get("app.dbsession")
        if dbsession is None:
            if request.environ["REQUEST_METHOD"] in READ_METHODS:
                dbsession = get_tm_session(read_factory, request.tm, request=request, lazy_begin=lazy_reads)
            else:
                dbsession = get_tm_session(session_factory, request.tm, request=request)
        return dbsession

    config.add_request_method(dbsession, reify=True)


KEEP_WRITES = "makeplus.keep_writes"


def keep_writes(request) -> None:
    """Commit what this request wrote even if its answer is a 4xx.

    The one exception to :func:`commit_veto`'s rule, for writes that are the point of the
    answer: a denied scan's journal row (the doors record every decision), the revocation
    of a stolen refresh token before answering 401, the web session of a login page. A 5xx
    still rolls everything back.
    """
    request.environ[KEEP_WRITES] = True


def commit_veto(request, response):
    """``tm.commit_veto``: abort the transaction of every 4xx/5xx answer, unless the view
    called :func:`keep_writes` (then only a 5xx aborts)."""
    if response.status.startswith("5"):
        return True
    return response.status.startswith("4") and not request.environ.get(KEEP_WRITES)
