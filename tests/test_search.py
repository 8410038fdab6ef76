"""Global search: scope per event and role, ranking, pagination, plugin results,
and (PostgreSQL) index use over 100,000 participants."""
import datetime as dt

import pytest
import sqlalchemy as sa

GEST = "gestionnaire_des_salles"


@pytest.fixture
def world(f):
    event = f.event()
    other = f.event()
    gest = f.member(event, GEST)
    ctrl = f.member(event, "controlleur_des_badges")
    part = f.member(event, "participant", email="ada.lovelace@analytical.org", first_name="Ada",
                    last_name="Lovelace")
    other_part = f.member(other, "participant", email="grace.hopper@navy.mil", first_name="Grace",
                          last_name="Hopper")
    room = f.room(event, name="Salle Atlas", description="Grande salle du rez-de-chaussée")
    other_room = f.room(other, name="Atlas Annex")
    s1 = f.session(event, room, title="Machine learning en pratique", speaker_name="Yann Atlas",
                   theme="IA", description="Réseaux de neurones")
    s2 = f.session(event, room, title="Cloud souverain", speaker_name="Nadia Machine", theme="Cloud",
                   description="machine virtuelle et learning")
    f.session(other, other_room, title="Machine learning ailleurs", speaker_name="Other")
    return dict(event=event, other=other, gest=gest, ctrl=ctrl, part=part, other_part=other_part, room=room,
                s1=s1, s2=s2, other_room=other_room)


def search(app, f, user, event, status=200, **params):
    return app.get("/api/search/", params=params, headers=f.auth(user, event), status=status).json


def ids(res, kind=None):
    return [r["id"] for r in res["results"] if kind is None or r["type"] == kind]


def test_sessions_and_rooms_ranked_within_my_event(app, f, world):
    w = world
    res = search(app, f, w["part"], w["event"], q="machine learning")
    assert ids(res) == [str(w["s1"].id), str(w["s2"].id)]  # title match ranks first
    assert res["count"] == 2
    first = res["results"][0]
    assert first["type"] == "session" and first["title"] == "Machine learning en pratique"
    assert first["subtitle"] == "Yann Atlas · IA" and first["score"] > res["results"][1]["score"]
    assert first["url"] == f"/api/sessions/{w['s1'].id}/" and first["extra"]["start_time"].endswith("Z")
    res = search(app, f, w["part"], w["event"], q="atlas")
    assert {(r["type"], r["id"]) for r in res["results"]} == {("room", str(w["room"].id)),
                                                             ("session", str(w["s1"].id))}
    assert res["results"][0]["type"] == "room"  # name (3) beats speaker (2)
    assert str(w["other_room"].id) not in ids(res)
    res = search(app, f, w["part"], w["event"], q="atlas", type="session")
    assert ids(res) == [str(w["s1"].id)]
    assert ids(search(app, f, w["part"], w["event"], q="neurones")) == [str(w["s1"].id)]


def test_participant_never_sees_participants_nor_other_events(app, f, world):
    w = world
    for q in ("lovelace", "analytical", "grace", "hopper", "ailleurs", "annex", w["part"].badge_id):
        res = search(app, f, w["part"], w["event"], q=q)
        assert all(r["type"] != "participant" for r in res["results"]), q
        assert res["count"] == 0, q
    app.get("/api/search/", params={"q": "machine", "event": str(w["other"].id)},
            headers=f.auth(w["part"], w["event"]), status=404)
    # a controlleur is not a gestionnaire either
    assert search(app, f, w["ctrl"], w["event"], q="lovelace")["count"] == 0


def test_gestionnaire_finds_participants_by_email_part_name_and_badge(app, f, db, world):
    w = world
    participant = f.participant_of(w["part"], w["event"])
    pid = str(participant.id)
    for q in ("lytical.o", "LOVELACE", "ada lovelace", w["part"].badge_id, w["part"].badge_id.lower(),
              participant.badge_number):
        res = search(app, f, w["gest"], w["event"], q=q, type="participant")
        assert ids(res) == [pid], q
        assert res["count"] == 1, q
    hit = search(app, f, w["gest"], w["event"], q=w["part"].badge_id)["results"][0]
    assert hit["type"] == "participant" and hit["title"] == "Ada Lovelace" and hit["score"] == 10.0
    assert hit["extra"]["email"] == "ada.lovelace@analytical.org"
    # the other event's participant is never found
    assert search(app, f, w["gest"], w["event"], q="hopper")["count"] == 0
    assert search(app, f, w["gest"], w["event"], q=w["other_part"].badge_id)["count"] == 0
    admin = f.user(is_admin=True)
    res = app.get("/api/search/", params={"q": "hopper", "event": str(w["other"].id)},
                  headers=f.auth(admin)).json
    assert [r["type"] for r in res["results"]] == ["participant"]


@pytest.mark.plugin("annonces")
def test_plugin_results_and_disabled_plugin(app, make_app, f, world):
    w = world
    h = f.auth(w["gest"], w["event"])
    for target in ("all", "gestionnaires"):
        app.post_json("/api/annonces/", {"title": f"Machine à café ({target})", "target": target},
                      headers=h, status=201)
    app.post_json("/api/annonces/", {"title": "Machine elsewhere"}, headers=f.auth(w["other_part"], w["other"]),
                  status=201)
    res = search(app, f, w["gest"], w["event"], q="machine", type="annonce")
    assert sorted(r["title"] for r in res["results"]) == ["Machine à café (all)", "Machine à café (gestionnaires)"]
    res = search(app, f, w["part"], w["event"], q="machine")
    annonces = [r for r in res["results"] if r["type"] == "annonce"]
    assert [a["title"] for a in annonces] == ["Machine à café (all)"]
    assert annonces[0]["url"].startswith("/api/annonces/") and res["count"] == 3
    bare = make_app(**{"makeplus.plugins": ""})
    res = bare.get("/api/search/", params={"q": "machine"}, headers=f.auth(w["part"], w["event"])).json
    assert [r["type"] for r in res["results"]] == ["session", "session"] and res["count"] == 2


def test_pagination_and_validation(app, f, world, count_queries):
    w = world
    for i in range(7):
        f.session(w["event"], w["room"], title=f"Robotique {i}", start=w["event"].start_date + dt.timedelta(days=1, hours=i))
    first = search(app, f, w["part"], w["event"], q="robotique", page_size=3)
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None and first["next"]
    third = search(app, f, w["part"], w["event"], q="robotique", page_size=3, page=3)
    assert len(third["results"]) == 1 and third["next"] is None and third["previous"]
    all_ids = ids(first) + ids(search(app, f, w["part"], w["event"], q="robotique", page_size=3, page=2)) + ids(third)
    assert len(set(all_ids)) == 7
    h = f.auth(w["gest"], w["event"])
    with count_queries() as q_small:
        app.get("/api/search/", params={"q": "robotique", "page_size": 1}, headers=h)
    with count_queries() as q_big:
        app.get("/api/search/", params={"q": "robotique", "page_size": 50}, headers=h)
    assert q_small.count == q_big.count
    for bad in ({}, {"q": "a"}, {"q": "  "}, {"q": "--"}):
        r = search(app, f, w["part"], w["event"], status=400, **bad)
        assert r["field"] == "q"
    search(app, f, w["part"], w["event"], status=400, q="robot", page=0)
    app.get("/api/search/", params={"q": "robot"}, status=401)


def test_accent_insensitive_on_postgresql(app, f, db, world):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("accent folding is PostgreSQL-only (SQLite: case-insensitive LIKE)")
    w = world
    s = f.session(w["event"], w["room"], title="Économie numérique", speaker_name="Hélène Côté")
    assert ids(search(app, f, w["part"], w["event"], q="economie numerique")) == [str(s.id)]
    assert ids(search(app, f, w["part"], w["event"], q="helene cote")) == [str(s.id)]
    assert ids(search(app, f, w["part"], w["event"], q="écon")) == [str(s.id)]  # prefix
    user = f.member(w["event"], "participant", email="jose@example.org", first_name="José", last_name="Nuñez")
    res = search(app, f, w["gest"], w["event"], q="jose nunez", type="participant")
    assert [r["extra"]["user_id"] for r in res["results"]] == [user.id]


def test_participant_search_uses_index_on_100k_rows(app, f, db, world):
    """EXPLAIN the participant query over 100,000 generated participants: the planner
    must pick the trigram GIN index (Bitmap Index Scan), not a sequential scan of users
    or participants. No enable_seqscan tweaking: the planner chooses it on its own."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from makeplus_core.search import services

    event = world["event"]
    db.execute(sa.text("""
        INSERT INTO users (email, username, first_name, last_name, password_hash, is_active, is_admin,
                           token_version, badge_id, created_at, updated_at)
        SELECT 'bulk' || g || '@load.example.org', 'bulk' || g, 'Prénom' || g, 'Nom' || g, '!', true, false,
               1, 'USER-B' || g, now(), now()
        FROM generate_series(1, 100000) AS g"""))
    db.execute(sa.text("""
        INSERT INTO participants (id, user_id, event_id, badge_number, registration_date, is_checked_in, notes)
        SELECT gen_random_uuid(), u.id, :event, 'B' || u.id, now(), false, ''
        FROM users u WHERE u.email LIKE 'bulk%@load.example.org'"""), {"event": event.id})
    db.commit()
    db.execute(sa.text("ANALYZE users"))
    db.execute(sa.text("ANALYZE participants"))
    db.commit()
    assert db.scalar(sa.text("SELECT count(*) FROM participants WHERE event_id = :e"), {"e": event.id}) >= 100000

    matcher = services.Matcher("postgresql")
    stmt = services.participant_text_query(matcher, event.id, ["bulk4242"])
    sql = str(stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(row[0] for row in db.execute(sa.text("EXPLAIN " + sql)))
    db.rollback()
    assert "ix_users_search_trgm" in plan, plan
    assert "Index Scan" in plan, plan  # "Bitmap Index Scan" or "Index Scan"
    # users are never scanned; the event's participants may be (here every participant is in
    # the event, and a hash join over them is a plan PostgreSQL may rightly choose)
    assert "Seq Scan on users" not in plan, plan

    # and the endpoint finds them (11 e-mails contain "bulk4242")
    res = search(app, f, world["gest"], event, q="bulk4242", type="participant", page_size=5)
    assert res["count"] == 11 and len(res["results"]) == 5
    assert search(app, f, world["gest"], event, q="USER-B4242")["results"][0]["title"] == "Prénom4242 Nom4242"
