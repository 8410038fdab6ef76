"""The qa plugin through the HTTP API: asking, reading, editing, answering, upvoting."""
import pytest
import sqlalchemy as sa

from makeplus_qa.models import Question, Upvote

ASKER_KEYS = {"participant", "participant_id", "participant_email", "participant_name", "asked_by", "user",
              "user_id", "asker"}
URL = "/api/session-questions/"


class World:
    def __init__(self, f):
        self.f = f
        self.event = f.event()
        self.room = f.room(self.event)
        self.session = f.session(self.event, self.room, title="Keynote", status="en_cours")
        self.other_session = f.session(self.event, self.room, title="Atelier")
        self.gest = f.member(self.event, "gestionnaire_des_salles")
        self.ctrl = f.member(self.event, "controlleur_des_badges")
        self.part = f.member(self.event, "participant")
        self.part2 = f.member(self.event, "participant")
        self.expo = f.member(self.event, "exposant")
        self.admin = f.user(is_admin=True)
        self.foreign = f.event()
        self.foreign_room = f.room(self.foreign)
        self.foreign_session = f.session(self.foreign, self.foreign_room, title="Elsewhere")
        self.foreign_part = f.member(self.foreign, "participant")

    def pid(self, user, event=None):
        participant = self.f.participant_of(user, event or self.event)
        self.f.db.commit()  # end the read transaction (SQLite: it holds the write lock)
        return str(participant.id)

    def h(self, user, event=None):
        return self.f.auth(user, event or self.event)

    def ask(self, app, user, text="Une question ?", session=None, event=None, status=201):
        body = {"session": str((session or self.session).id), "question_text": text}
        return app.post_json(URL, body, headers=self.h(user, event), status=status)


@pytest.fixture
def w(f):
    return World(f)


def no_asker(payload):
    assert not ASKER_KEYS & set(payload), payload


def test_ask_and_read_shape(app, w):
    r = w.ask(app, w.part, "  Quels sont les prérequis ?  ")
    q = r.json
    no_asker(q)
    assert q["session"] == str(w.session.id)
    assert q["session_title"] == "Keynote"
    assert q["question_text"] == "Quels sont les prérequis ?"
    assert q["is_answered"] is False and q["answer_text"] is None and q["answered_by"] is None
    assert q["answered_by_name"] is None and q["answered_at"] is None
    assert q["asked_at"].endswith("Z")
    assert q["upvotes"] == 0 and q["has_upvoted"] is False and q["is_mine"] is True
    # another member reads it without learning who asked
    other = app.get(f"{URL}{q['id']}/", headers=w.h(w.part2)).json
    no_asker(other)
    assert other["is_mine"] is False and other["question_text"] == q["question_text"]
    listed = app.get(URL, {"session": str(w.session.id)}, headers=w.h(w.part2)).json
    assert [x["id"] for x in listed["results"]] == [q["id"]]
    for item in listed["results"]:
        no_asker(item)
    # the asker is stored (from the token)
    row = w.f.db.get(Question, __import__("uuid").UUID(q["id"]))
    w.f.db.refresh(row)
    assert row.user_id == w.part.id
    assert str(row.participant_id) == w.pid(w.part)


@pytest.mark.parametrize("who", ["gest", "ctrl", "part", "expo", "admin"])
def test_every_member_role_may_ask_and_read(app, w, who):
    user = getattr(w, who)
    q = w.ask(app, user, f"Question de {who}").json
    assert app.get(f"{URL}{q['id']}/", headers=w.h(user)).json["is_mine"] is True
    assert app.get(URL, headers=w.h(user)).json["count"] == 1
    assert app.get(f"/api/sessions/{w.session.id}/questions/", headers=w.h(user)).json["count"] == 1


def test_requires_authentication(app, w):
    app.get(URL, status=401)
    app.post_json(URL, {"session": str(w.session.id), "question_text": "x"}, status=401)


def test_session_filter_and_alias(app, w):
    a = w.ask(app, w.part, "A").json
    b = w.ask(app, w.part, "B", session=w.other_session).json
    h = w.h(w.gest)
    assert [x["id"] for x in app.get(URL, {"session": str(w.session.id)}, headers=h).json["results"]] == [a["id"]]
    assert [x["id"] for x in app.get(URL, {"session_id": str(w.other_session.id)}, headers=h).json["results"]] \
        == [b["id"]]
    assert app.get(URL, headers=h).json["count"] == 2
    r = app.get(URL, {"session": "nope"}, headers=h, status=400)
    assert r.json["field"] == "session"
    # create with session_id alias
    c = app.post_json(URL, {"session_id": str(w.other_session.id), "question_text": "C"}, headers=w.h(w.part)).json
    assert c["session"] == str(w.other_session.id)


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 1001, 12])
def test_question_text_validation(app, w, text):
    body = {"session": str(w.session.id)}
    if text is not None:
        body["question_text"] = text
    r = app.post_json(URL, body, headers=w.h(w.part), status=400)
    assert r.json["field"] == "question_text"
    r = app.post_json(f"/api/sessions/{w.session.id}/questions/", {"question_text": text} if text is not None else {},
                      headers=w.h(w.part), status=400)
    assert r.json["field"] == "question_text"


def test_max_length_is_accepted(app, w):
    assert len(w.ask(app, w.part, "y" * 1000).json["question_text"]) == 1000


def test_session_required_and_valid(app, w):
    r = app.post_json(URL, {"question_text": "x"}, headers=w.h(w.part), status=400)
    assert r.json["field"] == "session"
    r = app.post_json(URL, {"session": "garbage", "question_text": "x"}, headers=w.h(w.part), status=400)
    assert r.json["field"] == "session"
    r = app.post_json(URL, {"session": str(__import__("uuid").uuid4()), "question_text": "x"},
                      headers=w.h(w.part), status=404)
    assert r.json["field"] == "session"


@pytest.mark.parametrize("status,word", [("termine", "finished"), ("cancelled", "cancelled")])
def test_closed_session_refuses_questions(app, w, status, word):
    w.session.status = status
    w.f.commit(w.session)
    r = w.ask(app, w.part, status=409)
    assert word in r.json["message"]
    r = app.post_json(f"/api/sessions/{w.session.id}/questions/", {"question_text": "x"},
                      headers=w.h(w.part), status=409)
    assert r.json["error"] == "conflict"
    assert w.f.db.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_foreign_event_is_404(app, w):
    foreign_q = w.ask(app, w.foreign_part, "Ailleurs", session=w.foreign_session, event=w.foreign).json
    mine = w.ask(app, w.part, "Ici").json
    for user in (w.part, w.gest, w.admin):
        h = w.h(user)
        w.ask(app, user, session=w.foreign_session, status=404)
        app.get(f"{URL}{foreign_q['id']}/", headers=h, status=404)
        app.put_json(f"{URL}{foreign_q['id']}/", {"question_text": "hack"}, headers=h, status=404)
        app.patch_json(f"{URL}{foreign_q['id']}/", {"question_text": "hack"}, headers=h, status=404)
        app.post_json(f"{URL}{foreign_q['id']}/answer/", {"answer_text": "x"}, headers=h, status=404)
        app.post(f"{URL}{foreign_q['id']}/upvote/", headers=h, status=404)
        app.delete(f"{URL}{foreign_q['id']}/", headers=h, status=404)
        app.get(f"/api/sessions/{w.foreign_session.id}/questions/", headers=h, status=404)
        app.post_json(f"/api/sessions/{w.foreign_session.id}/questions/", {"question_text": "x"},
                      headers=h, status=404)
        ids = [x["id"] for x in app.get(URL, headers=h).json["results"]]
        assert ids == [mine["id"]]
        assert app.get(URL, {"session": str(w.foreign_session.id)}, headers=h).json["results"] == []
    # naming the other event explicitly is a 404 too (non-admin)
    app.get(URL, {"event": str(w.foreign.id)}, headers=w.h(w.part), status=404)
    # the foreign question was not touched
    row = w.f.db.get(Question, __import__("uuid").UUID(foreign_q["id"]))
    w.f.db.refresh(row)
    assert row.question_text == "Ailleurs" and not row.is_answered
    w.f.db.commit()


def test_only_asker_edits_unanswered(app, w):
    q = w.ask(app, w.part, "Première version").json
    url = f"{URL}{q['id']}/"
    r = app.put_json(url, {"question_text": "Deuxième version"}, headers=w.h(w.part))
    assert r.json["question_text"] == "Deuxième version"
    no_asker(r.json)
    r = app.patch_json(url, {"question_text": "Troisième"}, headers=w.h(w.part))
    assert r.json["question_text"] == "Troisième"
    for user in (w.part2, w.gest, w.ctrl, w.expo, w.admin):
        app.put_json(url, {"question_text": "pas à moi"}, headers=w.h(user), status=403)
        app.patch_json(url, {"question_text": "pas à moi"}, headers=w.h(user), status=403)
    r = app.patch_json(url, {"question_text": ""}, headers=w.h(w.part), status=400)
    assert r.json["field"] == "question_text"
    r = app.put_json(url, {"question_text": "z" * 1001}, headers=w.h(w.part), status=400)
    assert r.json["field"] == "question_text"
    app.post_json(f"{url}answer/", {"answer_text": "Réponse"}, headers=w.h(w.gest))
    r = app.put_json(url, {"question_text": "Trop tard"}, headers=w.h(w.part), status=409)
    assert "answered" in r.json["message"]
    assert app.get(url, headers=w.h(w.part)).json["question_text"] == "Troisième"


def test_answer_with_text_and_toggle(app, w):
    q = w.ask(app, w.part, "Une question").json
    url = f"{URL}{q['id']}/answer/"
    r = app.post_json(url, {"answer_text": "  La réponse  "}, headers=w.h(w.gest)).json
    no_asker(r)
    assert r["is_answered"] is True and r["answer_text"] == "La réponse"
    assert r["answered_by"] == w.gest.id and isinstance(r["answered_by"], int)
    assert r["answered_by_name"] == f"{w.gest.first_name} {w.gest.last_name}"
    assert r["answered_at"].endswith("Z")
    # no body: toggles
    r = app.post(url, headers=w.h(w.gest)).json
    assert r["is_answered"] is False and r["answered_at"] is None
    r = app.post(url, headers=w.h(w.gest)).json
    assert r["is_answered"] is True and r["answered_by"] == w.gest.id
    r = app.post_json(url, {}, headers=w.h(w.gest)).json
    assert r["is_answered"] is False
    # the asker sees the answer
    app.post_json(url, {"answer_text": "Finale"}, headers=w.h(w.admin))
    seen = app.get(f"{URL}{q['id']}/", headers=w.h(w.part)).json
    assert seen["is_answered"] is True and seen["answer_text"] == "Finale" and seen["answered_by"] == w.admin.id


def test_answer_validation(app, w):
    q = w.ask(app, w.part).json
    url = f"{URL}{q['id']}/answer/"
    for bad in ("", "   ", "a" * 5001, 5):
        r = app.post_json(url, {"answer_text": bad}, headers=w.h(w.gest), status=400)
        assert r.json["field"] == "answer_text"


@pytest.mark.parametrize("who", ["part", "part2", "ctrl", "expo"])
def test_only_gestionnaire_answers(app, w, who):
    q = w.ask(app, w.part).json
    url = f"{URL}{q['id']}/answer/"
    app.post_json(url, {"answer_text": "moi"}, headers=w.h(getattr(w, who)), status=403)
    app.post(url, headers=w.h(getattr(w, who)), status=403)
    assert app.get(f"{URL}{q['id']}/", headers=w.h(w.part)).json["is_answered"] is False


def test_gestionnaire_of_another_event_cannot_answer(app, w, f):
    q = w.ask(app, w.part).json
    other_gest = f.member(w.foreign, "gestionnaire_des_salles")
    app.post_json(f"{URL}{q['id']}/answer/", {"answer_text": "x"}, headers=w.h(other_gest, w.foreign), status=404)


def test_filters_is_answered_participant_mine_ordering(app, w):
    a = w.ask(app, w.part, "A").json
    b = w.ask(app, w.part2, "B").json
    c = w.ask(app, w.part, "C").json
    app.post_json(f"{URL}{b['id']}/answer/", {"answer_text": "ok"}, headers=w.h(w.gest))
    h = w.h(w.gest)
    ids = lambda r: [x["id"] for x in r.json["results"]]  # noqa: E731
    assert ids(app.get(URL, {"is_answered": "true"}, headers=h)) == [b["id"]]
    assert ids(app.get(URL, {"is_answered": "false"}, headers=h)) == [a["id"], c["id"]]
    assert app.get(URL, {"is_answered": "maybe"}, headers=h, status=400).json["field"] == "is_answered"
    pid = w.pid(w.part)
    assert ids(app.get(URL, {"participant": pid}, headers=h)) == [a["id"], c["id"]]
    assert ids(app.get(URL, {"participant": pid}, headers=w.h(w.admin))) == [a["id"], c["id"]]
    for user in (w.part, w.part2, w.ctrl, w.expo):
        app.get(URL, {"participant": pid}, headers=w.h(user), status=403)
    foreign_pid = w.pid(w.foreign_part, w.foreign)
    app.get(URL, {"participant": foreign_pid}, headers=h, status=404)
    assert ids(app.get(URL, {"mine": "true"}, headers=w.h(w.part2))) == [b["id"]]
    assert ids(app.get(URL, {"ordering": "-asked_at"}, headers=h)) == [c["id"], b["id"], a["id"]]
    assert app.get(URL, {"ordering": "random"}, headers=h, status=400).json["field"] == "ordering"


def test_upvote_once_and_withdraw(app, w):
    q = w.ask(app, w.part, "Votez").json
    url = f"{URL}{q['id']}/upvote/"
    r = app.post(url, headers=w.h(w.part2)).json
    assert r["upvotes"] == 1 and r["has_upvoted"] is True
    no_asker(r)
    r = app.post(url, headers=w.h(w.part2)).json  # idempotent
    assert r["upvotes"] == 1 and r["has_upvoted"] is True
    assert w.f.db.scalar(sa.select(sa.func.count()).select_from(Upvote)) == 1
    w.f.db.commit()
    r = app.post(url, headers=w.h(w.expo)).json
    assert r["upvotes"] == 2
    seen = app.get(f"{URL}{q['id']}/", headers=w.h(w.part)).json
    assert seen["upvotes"] == 2 and seen["has_upvoted"] is False
    r = app.delete(url, headers=w.h(w.part2)).json
    assert r["upvotes"] == 1 and r["has_upvoted"] is False
    r = app.delete(url, headers=w.h(w.part2)).json  # removing twice changes nothing
    assert r["upvotes"] == 1


def test_order_by_votes(app, w):
    a = w.ask(app, w.part, "A").json
    b = w.ask(app, w.part, "B").json
    c = w.ask(app, w.part, "C").json
    for user in (w.part2, w.expo, w.ctrl):
        app.post(f"{URL}{c['id']}/upvote/", headers=w.h(user))
    app.post(f"{URL}{a['id']}/upvote/", headers=w.h(w.part2))
    h = w.h(w.gest)
    r = app.get(URL, {"ordering": "-upvotes"}, headers=h).json
    assert [(x["id"], x["upvotes"]) for x in r["results"]] == [(c["id"], 3), (a["id"], 1), (b["id"], 0)]
    r = app.get(URL, {"ordering": "upvotes"}, headers=h).json
    assert [x["id"] for x in r["results"]] == [b["id"], a["id"], c["id"]]
    r = app.get(f"/api/sessions/{w.session.id}/questions/", {"ordering": "-upvotes", "page_size": 2}, headers=h).json
    assert r["count"] == 3 and [x["id"] for x in r["results"]] == [c["id"], a["id"]]


def test_list_runs_a_fixed_number_of_queries(app, w, count_queries):
    h = w.h(w.part2)

    def add(n):
        for i in range(n):
            q = w.ask(app, w.part, f"Q{i}").json
            app.post(f"{URL}{q['id']}/upvote/", headers=w.h(w.expo))
            if i % 2:
                app.post_json(f"{URL}{q['id']}/answer/", {"answer_text": "ok"}, headers=w.h(w.gest))

    add(2)
    app.get(URL, {"ordering": "-upvotes"}, headers=h)
    with count_queries() as small:
        app.get(URL, {"ordering": "-upvotes"}, headers=h)
    add(10)
    with count_queries() as big:
        r = app.get(URL, {"ordering": "-upvotes"}, headers=h)
    assert r.json["count"] == 12
    assert big.count == small.count


def test_session_scoped_routes(app, w):
    url = f"/api/sessions/{w.session.id}/questions/"
    q = app.post_json(url, {"question_text": "Par la session"}, headers=w.h(w.expo), status=201).json
    assert q["session"] == str(w.session.id)
    w.ask(app, w.part, "Autre session", session=w.other_session)
    r = app.get(url, headers=w.h(w.part)).json
    assert [x["id"] for x in r["results"]] == [q["id"]]
    assert r["results"][0]["is_mine"] is False
    app.get("/api/sessions/not-a-uuid/questions/", headers=w.h(w.part), status=404)
    app.get(f"/api/sessions/{__import__('uuid').uuid4()}/questions/", headers=w.h(w.part), status=404)


def test_delete_question(app, w):
    q = w.ask(app, w.part).json
    url = f"{URL}{q['id']}/"
    for user in (w.part2, w.ctrl, w.expo):
        app.delete(url, headers=w.h(user), status=403)
    app.delete(url, headers=w.h(w.part), status=204)
    app.get(url, headers=w.h(w.part), status=404)
    q2 = w.ask(app, w.part).json
    app.post(f"{URL}{q2['id']}/answer/", headers=w.h(w.gest))
    app.delete(f"{URL}{q2['id']}/", headers=w.h(w.part), status=409)
    app.delete(f"{URL}{q2['id']}/", headers=w.h(w.gest), status=204)


def test_user_export_lists_my_questions(app, w):
    w.ask(app, w.part, "Mienne")
    w.ask(app, w.part2, "Pas la mienne")
    r = app.get("/api/auth/me/export/", headers=w.h(w.part)).json
    assert [x["question_text"] for x in r["qa_questions"]] == ["Mienne"]


def test_disabled_plugin_routes_are_404(app, make_app, settings, w):
    q = w.ask(app, w.part).json
    others = [p for p in settings["makeplus.plugins"].split() if p != "qa"]  # normally "annonces youtube_live"
    other = make_app(**{"makeplus.plugins": " ".join(others)})
    h = w.h(w.part)
    assert "qa" not in other.get("/api/health/").json["plugins"]
    other.get(URL, headers=h, status=404)
    other.post_json(URL, {"session": str(w.session.id), "question_text": "x"}, headers=h, status=404)
    other.get(f"{URL}{q['id']}/", headers=h, status=404)
    other.post(f"{URL}{q['id']}/answer/", headers=w.h(w.gest), status=404)
    other.post(f"{URL}{q['id']}/upvote/", headers=h, status=404)
    other.get(f"/api/sessions/{w.session.id}/questions/", headers=h, status=404)
    assert "qa_questions" not in other.get("/api/auth/me/export/", headers=h).json
    # the other plugins still work
    if "annonces" in others:
        other.get("/api/annonces/", headers=h, status=200)
    if "youtube_live" in others:
        other.get("/api/live/", headers=h, status=200)


def test_event_statistics_hook(app, w, f):
    a = w.ask(app, w.part, "A").json
    w.ask(app, w.part2, "B")
    w.ask(app, w.foreign_part, "Ailleurs", session=w.foreign_session, event=w.foreign)
    app.post(f"{URL}{a['id']}/answer/", headers=w.h(w.gest))
    app.post(f"{URL}{a['id']}/upvote/", headers=w.h(w.expo))
    pm = app.app.registry.makeplus.plugins
    sections = pm.hook.makeplus_event_statistics(dbsession=f.db, event_id=w.event.id, role="admin")
    f.db.commit()
    merged = {k: v for s in sections if s for k, v in s.items()}
    assert merged["qa"] == {"questions": 2, "answered": 1, "unanswered": 1, "upvotes": 1}
