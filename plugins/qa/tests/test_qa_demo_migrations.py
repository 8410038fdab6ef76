"""Demo data and migrations of the qa plugin."""
import sqlalchemy as sa

from makeplus_core.plugin_api import demo as core_demo
from makeplus_core.plugin_api import get_engine, make_plugin_manager, migrate
from makeplus_qa.models import Question, Upvote


def test_demo_data_has_questions_some_answered(app, db, settings):
    pm = make_plugin_manager(settings)
    core_demo.load(db, pm)
    db.commit()
    counts = db.execute(sa.select(sa.func.count(), sa.func.sum(sa.case((Question.is_answered, 1), else_=0)))
                        .select_from(Question)).one()
    votes = db.scalar(sa.select(sa.func.count()).select_from(Upvote))
    assert counts[0] >= 4 and 1 <= counts[1] < counts[0] and votes >= 3
    core_demo.load(db, pm)  # idempotent
    db.commit()
    assert db.scalar(sa.select(sa.func.count()).select_from(Question)) == counts[0]
    assert db.scalar(sa.select(sa.func.count()).select_from(Upvote)) == votes
    # the demo participant reads them through the API, without asker identity
    from makeplus_core.testing import Factories

    f = Factories(db, app)
    from makeplus_core.plugin_api import Event, User

    user = db.scalar(sa.select(User).where(User.email == "participant2@makeplus.demo"))
    event = db.scalar(sa.select(Event).where(Event.name == "Tech Summit Algeria 2025"))
    r = app.get("/api/session-questions/", {"ordering": "-upvotes"}, headers=f.auth(user, event)).json
    assert r["count"] == counts[0]
    assert r["results"][0]["upvotes"] >= r["results"][-1]["upvotes"]
    assert any(x["is_answered"] and x["answer_text"] for x in r["results"])


def test_migrations_apply_on_a_database_with_the_core_and_other_plugins(tmp_path, settings):
    if settings["sqlalchemy.url"].startswith("postgresql"):
        url = settings["sqlalchemy.url"]  # already fully migrated by the session fixture: re-run is a no-op
        s = settings
        migrate.upgrade(s)
        assert "qa_questions" in sa.inspect(get_engine(s)).get_table_names()
        return
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    base = {"sqlalchemy.url": url, "makeplus.plugins": "annonces youtube_live"}
    migrate.upgrade(base)
    engine = get_engine(base)
    assert "qa_questions" not in sa.inspect(engine).get_table_names()
    migrate.upgrade({**base, "makeplus.plugins": "annonces youtube_live qa"})
    engine.dispose()
    names = sa.inspect(get_engine(base)).get_table_names()
    assert {"qa_questions", "qa_upvotes", "annonces_annonces", "youtube_live_streams", "sessions"} <= set(names)
