"""Test harness shared by the core's and every plugin's tests (a pytest plugin).

Loaded by the repository's root ``conftest.py``. One database per test session
(SQLite file by default, ``MAKEPLUS_TEST_DATABASE_URL`` for PostgreSQL), migrated
once with the core and every installed plugin; every test gets an empty database
(all rows deleted after it); the WSGI app is the one ``makeplus_core.main`` builds.

Fixtures: ``settings``, ``engine``, ``app`` (WebTest, all installed plugins),
``make_app`` (an app with other settings, e.g. a plugin subset), ``db`` (a session
that commits at once, for arranging data), ``f`` (factories), ``count_queries``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import os
import pathlib

import pytest
import sqlalchemy as sa
import webtest

from . import main, migrate
from .auth import badges, passwords, tokens
from .auth.models import User
from .db import Base, get_engine, get_session_factory, utcnow
from .events.models import Event
from .events.services import assign_role
from .plugins import installed_entry_points

PASSWORD = "makeplus2025"


def all_plugins() -> list[str]:
    return sorted(installed_entry_points())


def test_plugins() -> list[str]:
    """Plugins enabled in the test app: all installed ones, or ``MAKEPLUS_TEST_PLUGINS``
    (space separated; empty runs the core alone)."""
    raw = os.environ.get("MAKEPLUS_TEST_PLUGINS")
    return all_plugins() if raw is None else raw.split()


def pytest_configure(config):
    config.addinivalue_line("markers", "plugin(name): the test needs that plugin enabled")
    config.addinivalue_line("markers", "page_locale(tag): the browser fixture page speaks this language (default fr-FR)")


def pytest_collection_modifyitems(config, items):
    enabled = set(test_plugins())
    for item in items:
        for marker in item.iter_markers("plugin"):
            missing = [n for n in marker.args if n not in enabled]
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"plugin(s) not enabled: {', '.join(missing)}"))
        name = plugin_of_path(pathlib.Path(str(item.fspath)))
        if name is not None and name not in enabled:
            item.add_marker(pytest.mark.skip(reason=f"plugin {name} not enabled"))


def plugin_roots() -> dict[str, pathlib.Path]:
    """``{plugin name: the folder of its distribution}`` for every installed plugin,
    found without importing it (the folder holding its top-level package)."""
    import importlib.util

    roots = {}
    for name, ep in installed_entry_points().items():
        spec = importlib.util.find_spec(ep.module.split(".")[0])
        if spec is not None and spec.submodule_search_locations:
            roots[name] = pathlib.Path(list(spec.submodule_search_locations)[0]).resolve().parent
    return roots


def plugin_of_path(path: pathlib.Path) -> str | None:
    """The installed plugin whose distribution folder holds ``path`` (a test file), if any.

    Works wherever the plugin lives (``plugins/<name>/`` of this repository or a
    folder of its own), so a disabled plugin's tests are skipped, not failed."""
    path = path.resolve()
    best = None
    for name, root in plugin_roots().items():
        if root != path and root in path.parents and root.name != "site-packages":
            if best is None or len(root.parts) > len(best[1].parts):
                best = (name, root)
    return best[0] if best else None


def test_database_url(tmp_dir: pathlib.Path) -> str:
    url = os.environ.get("MAKEPLUS_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_dir / 'test.sqlite'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("makeplus")
    return {
        "sqlalchemy.url": test_database_url(tmp),
        "makeplus.jwt_secret": "test-secret-" + "x" * 40,
        "makeplus.plugins": " ".join(test_plugins()),
        "makeplus.env": "test",
        "makeplus.storage_root": str(tmp / "media"),
        "makeplus.cors.origins": "https://app.example.org",
        "makeplus.ratelimit.enabled": "false",
        "makeplus.argon2.time_cost": "1",
        "makeplus.argon2.memory_cost": "1024",
        "makeplus.badges.accept_plain_user_id": "true",
        "mail.backend": "debug",
        # Every app a test builds keeps its own pool: keep few idle connections per app so
        # the whole suite stays far below PostgreSQL's max_connections (overflow still
        # serves the concurrency tests' threads, and is closed when returned).
        "sqlalchemy.pool_size": "1",
        "sqlalchemy.max_overflow": "30",
    }


def _reset_schema(engine):
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        path = engine.url.database
        engine.dispose()
        if path and os.path.exists(path):
            os.remove(path)


@pytest.fixture(scope="session")
def engine(settings):
    passwords.configure(time_cost=1, memory_cost=1024)
    engine = get_engine(settings)
    _reset_schema(engine)
    engine = get_engine(settings)
    # The schema always holds every installed plugin's tables (the drift test needs them).
    migrate.upgrade({**settings, "makeplus.plugins": " ".join(all_plugins())}, engine)
    yield engine
    engine.dispose()


def clean_tables(engine) -> None:
    tables = [t for t in Base.metadata.sorted_tables]
    insp = sa.inspect(engine)
    existing = set(insp.get_table_names())
    tables = [t for t in tables if t.name in existing]
    with engine.begin() as conn:
        # DELETE beats TRUNCATE on the handful of rows a test leaves behind.
        for t in reversed(tables):
            conn.execute(t.delete())


_APPS: dict = {}


def build_app(settings: dict, **overrides) -> webtest.TestApp:
    key = tuple(sorted(overrides.items()))
    if key not in _APPS:
        _APPS[key] = main({}, **{**settings, **overrides})
    return webtest.TestApp(_APPS[key], extra_environ={"REMOTE_ADDR": "127.0.0.1"})


@pytest.fixture
def make_app(settings, engine):
    """``make_app(**settings_overrides)``: an app built with other settings (cached)."""

    def make(**overrides):
        return build_app(settings, **overrides)

    return make


@pytest.fixture
def app(make_app, engine):
    yield make_app()
    clean_tables(engine)


@pytest.fixture
def english(app):
    """The test's requests ask for English (``Accept-Language: en``): pages are French by
    default since issue 18; tests written against the English wording use this fixture
    (``pytestmark = pytest.mark.usefixtures("english")``)."""
    app.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "en"
    yield app
    app.extra_environ.pop("HTTP_ACCEPT_LANGUAGE", None)


@pytest.fixture(scope="session")
def arrange_engine(settings, engine):
    """An engine for arranging data: on SQLite it never holds the write lock on reads."""
    e = get_engine(settings, immediate=False)
    yield e
    e.dispose()


@pytest.fixture
def db(arrange_engine):
    session = get_session_factory(arrange_engine)()
    yield session
    session.close()


@pytest.fixture
def count_queries(engine):
    """``with count_queries() as q: ...`` then ``q.count`` (SQL statements run)."""

    @contextlib.contextmanager
    def counter():
        class Q:
            count = 0
            statements: list = []

        q = Q()
        q.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT",
                                                      "ROLLBACK", "PRAGMA")):
                return
            q.count += 1
            q.statements.append(statement)

        engines = {id(engine): engine}
        for a in _APPS.values():
            e = a.registry.makeplus.db_engine
            engines[id(e)] = e
        for e in engines.values():
            sa.event.listen(e, "before_cursor_execute", before)
        try:
            yield q
        finally:
            for e in engines.values():
                sa.event.remove(e, "before_cursor_execute", before)

    return counter


class Factories:
    """Arrange data directly in the database (committed at once)."""

    def __init__(self, db, app):
        self.db = db
        self.app = app
        self._n = 0
        self._hash = None

    def _next(self) -> int:
        self._n += 1
        return self._n

    def commit(self, *objs):
        for o in objs:
            self.db.add(o)
        self.db.commit()
        return objs[0] if len(objs) == 1 else objs

    def user(self, email=None, password=PASSWORD, is_admin=False, **kw) -> User:
        n = self._next()
        email = (email or f"user{n}@example.org").lower()
        if password == PASSWORD:
            if self._hash is None:
                self._hash = passwords.hash_password(PASSWORD)
            pw_hash = self._hash
        else:
            pw_hash = passwords.hash_password(password)
        kw.setdefault("first_name", f"First{n}")
        kw.setdefault("last_name", f"Last{n}")
        kw.setdefault("email_verified_at", utcnow())  # as demo users: verified unless a test says otherwise
        user = User(email=email, username=kw.pop("username", email.split("@")[0] + f"-{n}"),
                    password_hash=pw_hash, is_admin=is_admin, **kw)
        self.db.add(user)
        self.db.flush()
        badges.issue_badge(user)
        self.db.commit()
        return user

    def event(self, name=None, start=None, days=3, **kw) -> Event:
        n = self._next()
        start = start or (utcnow() - dt.timedelta(days=1)).replace(microsecond=0)
        event = Event(name=name or f"Event {n}", start_date=start, end_date=start + dt.timedelta(days=days),
                      location=kw.pop("location", "Alger"), status=kw.pop("status", "active"), **kw)
        return self.commit(event)

    def assign(self, user, event, role):
        assignment = assign_role(self.db, user.id, event, role)
        self.db.commit()
        return assignment

    def member(self, event, role, **kw) -> User:
        user = self.user(**kw)
        self.assign(user, event, role)
        return user

    def participant_of(self, user, event):
        from .participants.models import Participant

        return self.db.scalar(sa.select(Participant).where(Participant.user_id == user.id,
                                                           Participant.event_id == event.id))

    def room(self, event, name=None, capacity=100, **kw):
        from .rooms.models import Room

        return self.commit(Room(event_id=event.id, name=name or f"Room {self._next()}", capacity=capacity, **kw))

    def session(self, event, room, start=None, hours=1, title=None, **kw):
        from .sessions.models import Session

        start = start or event.start_date + dt.timedelta(hours=self._next())
        if "price" in kw:
            kw["price"] = decimal.Decimal(str(kw["price"]))
        return self.commit(Session(event_id=event.id, room_id=room.id, title=title or f"Session {self._n}",
                                   start_time=start, end_time=start + dt.timedelta(hours=hours), **kw))

    def token(self, user, event=None) -> str:
        registry = self.app.app.registry
        auth_session = tokens.open_session(self.db, registry, user, event.id if event else None)
        self.db.commit()
        return tokens.access_token(registry, user, auth_session)

    def auth(self, user, event=None) -> dict:
        """Headers carrying a bearer token for ``user`` working in ``event``."""
        return {"Authorization": f"Bearer {self.token(user, event)}"}


@pytest.fixture
def f(db, app):
    return Factories(db, app)


# --------------------------------------------------------------------------- Redis

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def redis_or_skip(url: str = REDIS_TEST_URL):
    """A client of the test Redis (db 15), or skip the test when none answers."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"needs Redis at {url}: {exc}")


def redis_cleanup(client, tag: str) -> None:
    """Delete the test's keys: those under a prefix containing ``tag`` and its RQ queues."""
    keys = list(client.scan_iter(f"*{tag}*"))
    if keys:
        client.delete(*keys)


# --------------------------------------------------------------------------- browser tests

CHROMIUM = os.environ.get("MAKEPLUS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = pathlib.Path(os.environ.get("MAKEPLUS_SCREENSHOTS", "screenshots"))


@pytest.fixture(scope="session")
def live_server(settings, engine):
    """The app served by waitress on a free loopback port, in a thread.

    Yields the base URL. Uses the same database as the other tests (rows are
    cleaned after each test by the ``app`` fixture, which browser tests should use).
    """
    import socket
    import threading

    from waitress.server import create_server

    wsgi = build_app(settings).app
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = create_server(wsgi, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped (loudly) when absent."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests skipped: no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests skipped: the playwright package is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture(params=[("desktop", 1280, 800), ("phone", 375, 740)], ids=["desktop", "phone"])
def page(request, browser, live_server):
    """A fresh page at desktop and at phone (375 px) width; ``page.shot(name)`` saves a screenshot.

    The browser speaks French (``fr-FR``) unless the test is marked ``@pytest.mark.page_locale("en-US")``."""
    label, width, height = request.param
    marker = request.node.get_closest_marker("page_locale")  # the browser's language (Accept-Language)
    locale = marker.args[0] if marker else "fr-FR"
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server, locale=locale)
    pg = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name):
        path = SCREENSHOTS / f"{request.node.originalname}-{label}-{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    pg.shot = shot
    pg.viewport_label = label
    yield pg
    context.close()


def pytest_report_header(config):
    if not os.path.exists(CHROMIUM):
        return f"browser tests: SKIPPED (no Chromium at {CHROMIUM}; apt-get install chromium)"
    return f"browser tests: Chromium at {CHROMIUM}"


def assert_text_cells(xlsx_bytes: bytes, texts) -> None:
    """Every ``text`` appears in the workbook exactly as typed, as text (never a formula),
    and formula-looking ones carry Excel's quotePrefix; no cell anywhere is a formula."""
    import io

    from openpyxl import load_workbook

    from .xlsx import looks_like_formula

    cells = {}
    for ws in load_workbook(io.BytesIO(xlsx_bytes)).worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"formula in {ws.title}!{c.coordinate}: {c.value!r}"
                if isinstance(c.value, str):
                    cells.setdefault(c.value, c)
    for text in texts:
        assert text in cells, f"{text!r} is not in the workbook as typed"
        assert cells[text].data_type == "s"
        if looks_like_formula(text):
            assert cells[text].quotePrefix, f"{text!r} has no quotePrefix"
