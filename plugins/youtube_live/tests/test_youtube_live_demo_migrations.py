"""Demo data and migrations of the youtube_live plugin."""
import sqlalchemy as sa

from makeplus_core.plugin_api import User, get_engine, make_plugin_manager, migrate
from makeplus_core.plugin_api import demo as core_demo
from makeplus_core.testing import Factories
from makeplus_youtube_live.models import LiveStream


def test_demo_has_a_live_session_with_a_stream(app, db, settings):
    pm = make_plugin_manager(settings)
    demo = core_demo.load(db, pm)
    db.commit()
    n = db.scalar(sa.select(sa.func.count()).select_from(LiveStream))
    assert n >= 1
    core_demo.load(db, pm)  # idempotent
    db.commit()
    assert db.scalar(sa.select(sa.func.count()).select_from(LiveStream)) == n
    user = db.scalar(sa.select(User).where(User.email == "participant@makeplus.demo"))
    headers = Factories(db, app).auth(user, demo.events[0])
    live = app.get("/api/live/", headers=headers).json["results"]
    assert [s["title"] for s in live] == ["Ouverture officielle"]
    assert live[0]["youtube_embed_url"].startswith("https://www.youtube.com/embed/")


def test_migrations_apply_on_a_database_with_the_core_and_other_plugins(tmp_path, settings):
    if settings["sqlalchemy.url"].startswith("postgresql"):
        s = settings
        migrate.upgrade(s)  # the session database is already migrated: a no-op that must not fail
        assert "youtube_live_streams" in sa.inspect(get_engine(s)).get_table_names()
        return
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    base = {"sqlalchemy.url": url, "makeplus.plugins": "annonces qa"}
    migrate.upgrade(base)
    engine = get_engine(base)
    assert "youtube_live_streams" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    migrate.upgrade({**base, "makeplus.plugins": "annonces qa youtube_live"})
    engine = get_engine(base)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"youtube_live_streams", "qa_questions", "annonces_annonces", "sessions"} <= names
