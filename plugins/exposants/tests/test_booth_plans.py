"""Booth plans, owned by the exposants plugin since they left the core (issue 16):
the upload at the app's path ``/api/participants/{id}/upload_plan/``, ``plan_file`` in
participant JSON (``makeplus_extend_json``), both gone when the plugin is disabled for the
deployment or switched off for the event; and the migration that moves the core's
``participants.plan_file`` into ``exposants_plans`` (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic import command

from makeplus_core.plugin_api import (
    Event,
    User,
    UTCDateTime,
    get_engine,
    get_session_factory,
    migrate,
    utcnow,
)
from makeplus_core.testing import Factories
from makeplus_exposants.models import ExposantPlan

pytestmark = pytest.mark.plugin("exposants")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GEST, CTRL, PART, EXPO = "gestionnaire_des_salles", "controlleur_des_badges", "participant", "exposant"


def upload(app, pid, headers, status=200, field="plan_file", data=PDF):
    return app.post(f"/api/participants/{pid}/upload_plan/", upload_files=[(field, "plan.pdf", data)],
                    headers=headers, status=status)


# --------------------------------------------------------------------------- the API


def test_upload_plan(app, f, make_app, db):
    """The core's former test, unchanged: who may upload, the PDF check, 413."""
    event = f.event()
    ex, g, part, ctrl = (f.member(event, r) for r in (EXPO, GEST, PART, CTRL))
    ex_row = f.participant_of(ex, event)
    own = f.participant_of(part, event)
    db.commit()
    r = upload(app, ex_row.id, f.auth(ex, event))
    assert r.json["plan_file"].startswith("http://localhost/media/plans/") and r.json["plan_file"].endswith(".pdf")
    assert app.get(r.json["plan_file"].replace("http://localhost", "")).body == PDF
    h = f.auth(g, event)
    upload(app, ex_row.id, h, field="file")
    r = upload(app, ex_row.id, h, status=400, data=b"MZ not a pdf")
    assert r.json["field"] == "plan_file"
    # a participant (not exposant) cannot, even on their own row; others' rows are 404
    upload(app, own.id, f.auth(part, event), status=403)
    upload(app, ex_row.id, f.auth(part, event), status=404)
    upload(app, ex_row.id, f.auth(ctrl, event), status=403)
    small = make_app(**{"makeplus.max_upload_bytes": "100"})
    r = upload(small, ex_row.id, h, status=413, data=PDF + b"x" * 200)
    assert r.json["field"] == "plan_file"


def test_plan_is_stored_by_the_plugin_and_read_everywhere(app, f, db):
    event, other = f.event(), f.event()
    ex, g = f.member(event, EXPO), f.member(event, GEST)
    ex_row = f.participant_of(ex, event)
    db.commit()
    first = upload(app, ex_row.id, f.auth(ex, event)).json["plan_file"]
    second = upload(app, ex_row.id, f.auth(g, event), field="file").json["plan_file"]
    assert first != second  # a new upload replaces the plan (one row per participant)
    rows = db.execute(sa.select(ExposantPlan.participant_id, ExposantPlan.file, ExposantPlan.uploaded_by_id)).all()
    db.commit()
    assert rows == [(ex_row.id, second.rsplit("/media/", 1)[1], g.id)]
    h = f.auth(g, event)
    one = app.get(f"/api/participants/{ex_row.id}/", headers=h).json
    assert one["plan_file"] == second
    listed = {p["id"]: p for p in app.get("/api/participants/", headers=h).json["results"]}
    assert listed[str(ex_row.id)]["plan_file"] == second
    assert app.get(f"/api/exposants/{ex_row.id}/plan/", headers=h).json["plan_file"] == second
    # another event's gestionnaire: the row is another event's (404), nothing written
    outsider = f.member(other, GEST)
    upload(app, ex_row.id, f.auth(outsider, other), status=404)
    # no file → 400 naming the field
    r = app.post(f"/api/participants/{ex_row.id}/upload_plan/", {"x": "1"}, headers=h, status=400)
    assert r.json["field"] == "file"


def test_plan_file_is_null_without_a_plan_and_costs_one_query_per_page(app, f, db, count_queries):
    event = f.event()
    g = f.member(event, GEST)
    h = f.auth(g, event)
    ex = [f.member(event, EXPO) for _ in range(2)]
    rows = [f.participant_of(u, event) for u in ex]
    db.commit()
    upload(app, rows[0].id, h)
    with count_queries() as few:
        body = app.get("/api/participants/", headers=h).json
    by_id = {p["id"]: p for p in body["results"]}
    assert by_id[str(rows[0].id)]["plan_file"].endswith(".pdf") and by_id[str(rows[1].id)]["plan_file"] is None
    for _ in range(8):
        u = f.member(event, EXPO)
        upload(app, f.participant_of(u, event).id, h)
        db.commit()
    with count_queries() as many:
        body = app.get("/api/participants/", headers=h).json
    assert body["count"] == 10 and sum(1 for p in body["results"] if p["plan_file"]) == 9
    assert few.count == many.count
    assert sum("exposants_plans" in s for s in many.statements) == 1


def test_route_and_field_follow_the_module_switch_and_the_deployment(app, f, db, make_app):
    on, off = f.event(), f.event(settings={"modules": {"exposants": False}})
    g_on, g_off = f.member(on, GEST), f.member(off, GEST)
    ex_on, ex_off = f.member(on, EXPO), f.member(off, EXPO)
    row_on, row_off = f.participant_of(ex_on, on), f.participant_of(ex_off, off)
    db.commit()
    # switched off for the event: the route is 404 module_disabled, the field is absent
    r = upload(app, row_off.id, f.auth(g_off, off), status=404)
    assert r.json["error"] == "module_disabled" and r.json["module"] == "exposants"
    r = upload(app, row_off.id, f.auth(ex_off, off), status=404)
    assert r.json["error"] == "module_disabled"
    assert "plan_file" not in app.get(f"/api/participants/{row_off.id}/", headers=f.auth(g_off, off)).json
    assert all("plan_file" not in p for p in
               app.get("/api/participants/", headers=f.auth(g_off, off)).json["results"])
    assert db.scalar(sa.select(sa.func.count()).select_from(ExposantPlan)) == 0
    db.commit()
    # the other event still has both
    upload(app, row_on.id, f.auth(g_on, on))
    assert app.get(f"/api/participants/{row_on.id}/", headers=f.auth(g_on, on)).json["plan_file"].endswith(".pdf")
    # disabled for the deployment: no route, no field (the stored plan is kept)
    others = " ".join(n for n in app.app.registry.settings["makeplus.plugins"].split() if n != "exposants")
    bare = make_app(**{"makeplus.plugins": others})
    bare.post(f"/api/participants/{row_on.id}/upload_plan/", upload_files=[("plan_file", "p.pdf", PDF)],
              headers=f.auth(g_on, on), status=404)
    assert "plan_file" not in bare.get(f"/api/participants/{row_on.id}/", headers=f.auth(g_on, on)).json
    assert db.scalar(sa.select(sa.func.count()).select_from(ExposantPlan)) == 1
    db.commit()


# --------------------------------------------------------------------------- the migration


@pytest.fixture
def fresh_url(settings, tmp_path):
    """An empty database of the test's dialect (a file on SQLite, ``<test db>_plans`` on PostgreSQL)."""
    base = sa.engine.make_url(settings["sqlalchemy.url"])
    if base.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'plans.sqlite'}"
        return
    name = f"{base.database}_plans"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _upgrade_to(settings, engine, *targets):
    with migrate.migrating(engine) as conn:
        cfg, _ = migrate.alembic_config(settings, connection=conn)
        for target in targets:
            command.upgrade(cfg, target)


def _script(settings):
    from alembic.script import ScriptDirectory

    cfg, _ = migrate.alembic_config(settings)
    return ScriptDirectory.from_config(cfg)


def _before_the_move(settings, engine, exposants=True):
    """The schema of a deployment from before the move: the core just below
    ``0010_drop_plan_file`` and (with ``exposants``) the exposants branch at ``0001_exposants``."""
    below = _script(settings).get_revision("0010_drop_plan_file").down_revision
    _upgrade_to(settings, engine, below, *(["0001_exposants"] if exposants else []))


def _old_rows(engine, plans: dict[str, str | None]):
    """Plain SQL rows of the old schema: one event, one user per name with a participant row
    whose ``plan_file`` is ``plans[name]``. Returns ``{name: (user id, participant id)}``, event id."""
    utc = UTCDateTime()
    now = utcnow()
    t = sa.table
    c = sa.column
    users = t("users", c("id", sa.Integer), c("email", sa.String), c("username", sa.String),
              c("first_name", sa.String), c("last_name", sa.String), c("password_hash", sa.String),
              c("is_active", sa.Boolean), c("is_admin", sa.Boolean), c("token_version", sa.Integer),
              c("created_at", utc), c("updated_at", utc))
    events = t("events", c("id", sa.Uuid), c("name", sa.String), c("description", sa.Text), c("location", sa.String),
               c("start_date", utc), c("end_date", utc), c("status", sa.String), c("is_active", sa.Boolean),
               c("timezone", sa.String), c("themes", sa.JSON), c("settings", sa.JSON), c("metadata", sa.JSON),
               c("created_at", utc), c("updated_at", utc))
    roles = t("user_event_assignments", c("id", sa.Uuid), c("user_id", sa.Integer), c("event_id", sa.Uuid),
              c("role", sa.String), c("is_active", sa.Boolean), c("assigned_at", utc))
    parts = t("participants", c("id", sa.Uuid), c("user_id", sa.Integer), c("event_id", sa.Uuid),
              c("badge_number", sa.String), c("registration_date", utc), c("is_checked_in", sa.Boolean),
              c("notes", sa.Text), c("plan_file", sa.String))
    event_id = uuid.uuid4()
    out = {}
    with engine.begin() as conn:
        conn.execute(sa.insert(events).values(
            id=event_id, name="Old event", description="", location="", start_date=now - dt.timedelta(days=1),
            end_date=now + dt.timedelta(days=2),
            status="active", is_active=True, timezone="UTC", themes=[], settings={}, metadata={},
            created_at=now, updated_at=now))
        for n, (name, plan) in enumerate(plans.items(), start=1):
            pid = uuid.uuid4()
            conn.execute(sa.insert(users).values(
                id=n, email=f"{name}@old.example", username=f"{name}@old.example", first_name=name.title(),
                last_name="Old", password_hash="x", is_active=True, is_admin=False, token_version=1,
                created_at=now, updated_at=now))
            conn.execute(sa.insert(roles).values(id=uuid.uuid4(), user_id=n, event_id=event_id,
                                                 role=GEST if name == "gest" else EXPO, is_active=True,
                                                 assigned_at=now))
            if name != "gest":
                conn.execute(sa.insert(parts).values(id=pid, user_id=n, event_id=event_id, badge_number=str(n),
                                                     registration_date=now, is_checked_in=False, notes="",
                                                     plan_file=plan))
            out[name] = (n, pid)
    return out, event_id


def _columns(engine, table):
    return {col["name"] for col in sa.inspect(engine).get_columns(table)}


def test_upgrade_copies_plan_file_into_the_plugin(settings, fresh_url, make_app):
    """Old schema with plan_file data → ``makeplus-db upgrade`` (migrate.upgrade) → the column
    is gone, the plans are in exposants_plans and served by the plugin's endpoints."""
    s = {**settings, "sqlalchemy.url": fresh_url}
    engine = get_engine(s)
    try:
        _before_the_move(s, engine)
        people, event_id = _old_rows(engine, {"gest": None, "acme": "plans/acme.pdf", "globex": None,
                                              "empty": ""})
        migrate.upgrade(s, engine)
        assert "plan_file" not in _columns(engine, "participants")
        with engine.connect() as conn:
            copied = conn.execute(sa.select(ExposantPlan.participant_id, ExposantPlan.file,
                                            ExposantPlan.uploaded_by_id)).all()
        assert copied == [(people["acme"][1], "plans/acme.pdf", None)]
        app = make_app(**{"sqlalchemy.url": fresh_url})  # the real app on the migrated database
        db = get_session_factory(engine)()
        try:
            f = Factories(db, app)
            h = f.auth(db.get(User, people["gest"][0]), db.get(Event, event_id))
            acme = app.get(f"/api/participants/{people['acme'][1]}/", headers=h).json
            assert acme["plan_file"] == "http://localhost/media/plans/acme.pdf"
            assert app.get(f"/api/participants/{people['globex'][1]}/", headers=h).json["plan_file"] is None
            plan = app.get(f"/api/exposants/{people['acme'][1]}/plan/", headers=h).json
            assert plan["plan_file"] == acme["plan_file"] and plan["has_plan"] is True
            app.get(f"/api/exposants/{people['globex'][1]}/plan/", headers=h, status=404)
        finally:
            db.close()
            app.app.registry.makeplus.db_engine.dispose()
        # a second upgrade changes nothing
        assert migrate.upgrade(s, engine)[0] == "core"
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(ExposantPlan)) == 1
    finally:
        engine.dispose()


def test_dropping_the_column_first_is_refused_while_exposants_is_installed(settings, fresh_url):
    """A plain Alembic upgrade of the core alone, before the plugin's copy: the core revision
    stops (rolled back) instead of dropping the plans."""
    s = {**settings, "sqlalchemy.url": fresh_url}
    engine = get_engine(s)
    try:
        _before_the_move(s, engine)
        _old_rows(engine, {"acme": "plans/acme.pdf"})
        with pytest.raises(migrate.MigrationError, match="0002_exposants_plans must be applied before"):
            _upgrade_to(s, engine, "0010_drop_plan_file")
        assert "plan_file" in _columns(engine, "participants")
        migrate.upgrade(s, engine)  # the runner orders them
        assert "plan_file" not in _columns(engine, "participants")
        with engine.connect() as conn:
            assert conn.execute(sa.select(ExposantPlan.file)).scalars().all() == ["plans/acme.pdf"]
    finally:
        engine.dispose()


def test_downgrading_exposants_keeps_the_core_at_its_head(settings, fresh_url):
    """No ``depends_on`` from the core to the plugin: removing the plugin's tables never
    takes a core revision down; upgrading again recreates them."""
    s = {**settings, "sqlalchemy.url": fresh_url}
    engine = get_engine(s)
    try:
        migrate.upgrade(s, engine)
        with engine.connect() as conn:
            before = migrate.current_revisions(conn)
        migrate.downgrade(s, "exposants@base", engine)
        names = set(sa.inspect(engine).get_table_names())
        assert not any(n.startswith("exposants_") for n in names) and "participants" in names
        assert "plan_file" not in _columns(engine, "participants")
        with engine.connect() as conn:
            after = migrate.current_revisions(conn)
        script = _script(s)
        assert script.get_revision("core@head").revision in after  # the core did not move
        held = migrate.applied_revisions(script, after)
        assert "0010_drop_plan_file" in held and not {"0001_exposants", "0002_exposants_plans"} & held
        assert migrate.applied_revisions(script, before) - held == {"0001_exposants", "0002_exposants_plans"}
        migrate.upgrade(s, engine)
        assert "exposants_plans" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_without_exposants_the_column_is_dropped_and_exposants_can_come_later(settings, fresh_url, monkeypatch,
                                                                                caplog):
    """A deployment without the plugin: a plain drop (a warning counts the plans lost); the
    plugin installed afterwards migrates normally (its table starts empty)."""
    s = {**settings, "sqlalchemy.url": fresh_url}
    engine = get_engine(s)
    try:
        _before_the_move(s, engine, exposants=False)
        _old_rows(engine, {"acme": "plans/acme.pdf"})
        # "not installed": its folder is not in the revision graph, it is not enabled
        bare = {**s, "makeplus.plugins": ""}
        monkeypatch.setattr(migrate, "disabled_plugin_migration_folders", lambda settings: [])
        with caplog.at_level(logging.WARNING):
            migrate.upgrade(bare, engine)
        assert "1 booth plan path(s)" in caplog.text
        assert "plan_file" not in _columns(engine, "participants")
        assert not any(n.startswith("exposants_") for n in sa.inspect(engine).get_table_names())
        monkeypatch.undo()
        migrate.upgrade(s, engine)  # installed and enabled later
        assert "exposants_plans" in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(ExposantPlan)) == 0
    finally:
        engine.dispose()


@pytest.mark.skipif(not os.environ.get("MAKEPLUS_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the SQLite run covers it; this checks the PostgreSQL run really ran on PostgreSQL")
def test_the_migration_tests_run_on_postgresql(fresh_url):
    assert fresh_url.startswith("postgresql")
