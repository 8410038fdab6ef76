"""E-posters in the global search (``makeplus_search``): accepted contributions for every
member of the event; pending/rejected ones only for gestionnaires, admins and the committee."""
from __future__ import annotations

import pytest

from makeplus_eposters.models import CommitteeMember, Submission

GEST = "gestionnaire_des_salles"


def add_sub(f, event, title, status, code=None, **kw):
    sub = Submission(event_id=event.id, status=status, title=title, code=code,
                     author_first_name=kw.pop("first", "Amel"), author_last_name=kw.pop("last", "Haddad"),
                     author_email=kw.pop("email", "amel@lab.dz"), institution="USTHB",
                     authors=kw.pop("authors", ["Amel Haddad"]), **kw)
    f.db.add(sub)
    f.db.commit()
    return sub


@pytest.fixture
def w(f):
    class W:
        pass

    w = W()
    w.event, w.other = f.event(), f.event()
    w.gest = f.member(w.event, GEST)
    w.part = f.member(w.event, "participant")
    w.reviewer = f.member(w.event, "participant")
    f.db.add(CommitteeMember(event_id=w.event.id, user_id=w.reviewer.id))
    f.db.commit()
    w.accepted = add_sub(f, w.event, "Graphene sensors for water", "accepted", code="EP-2026-0001",
                         final_title="Graphene sensors for drinking water", final_authors="Amel Haddad, Karim Ziani",
                         poster_pdf="eposters/x.pdf", contribution_number=1)
    w.accepted2 = add_sub(f, w.event, "Solar graphene cells", "accepted", code="EP-2026-0002",
                          contribution_number=2, first="Nadia", last="Berkane", authors=["Nadia Berkane"])
    w.pending = add_sub(f, w.event, "Graphene membranes (draft)", "pending", first="Omar", last="Slimani",
                        email="omar.secret@lab.dz", authors=["Omar Slimani"])
    w.rejected = add_sub(f, w.event, "Graphene hype", "rejected")
    w.foreign = add_sub(f, w.other, "Graphene elsewhere", "accepted", code="EP-2026-0001", contribution_number=1)
    return w


def found(app, f, user, event, q):
    res = app.get("/api/search/", params={"q": q, "type": "eposter"}, headers=f.auth(user, event)).json
    return {r["id"]: r for r in res["results"] if r["type"] == "eposter"}


def test_member_sees_accepted_contributions_only(app, f, w):
    res = found(app, f, w.part, w.event, "graphene")
    assert set(res) == {str(w.accepted.id), str(w.accepted2.id)}
    hit = res[str(w.accepted.id)]
    assert hit["title"] == "Graphene sensors for drinking water"
    assert hit["subtitle"] == "EP-2026-0001 · Amel Haddad, Karim Ziani"
    assert hit["extra"]["status"] == "accepted" and hit["extra"]["final_submitted"] is True
    assert hit["url"] == f"/api/eposter/{w.event.id}/gallery/?q=EP-2026-0001"
    # by authors (final authors and the author's name) and by code
    assert set(found(app, f, w.part, w.event, "ziani")) == {str(w.accepted.id)}
    assert set(found(app, f, w.part, w.event, "berkane")) == {str(w.accepted2.id)}
    by_code = found(app, f, w.part, w.event, "EP-2026-0002")
    assert list(by_code) == [str(w.accepted2.id)] and by_code[str(w.accepted2.id)]["score"] >= 10
    # pending/rejected submissions and their authors stay hidden
    assert found(app, f, w.part, w.event, "slimani") == {}
    assert found(app, f, w.part, w.event, "hype") == {}
    assert found(app, f, w.part, w.event, "omar.secret") == {}


def test_gestionnaire_committee_and_admin_see_every_submission(app, f, w):
    every = {str(s.id) for s in (w.accepted, w.accepted2, w.pending, w.rejected)}
    assert set(found(app, f, w.gest, w.event, "graphene")) == every
    assert set(found(app, f, w.reviewer, w.event, "graphene")) == every
    assert set(found(app, f, w.reviewer, w.event, "omar.secret")) == {str(w.pending.id)}
    pending = found(app, f, w.gest, w.event, "slimani")[str(w.pending.id)]
    assert pending["extra"]["status"] == "pending"
    assert pending["url"] == f"/api/eposter/{w.event.id}/submissions/?status=pending"
    admin = f.user(is_admin=True)
    res = app.get("/api/search/", params={"q": "graphene", "event": str(w.event.id), "type": "eposter"},
                  headers=f.auth(admin)).json
    assert {r["id"] for r in res["results"]} == every


def test_exact_code_ranks_first_and_other_event_never_shows(app, f, w):
    res = app.get("/api/search/", params={"q": "EP-2026-0001"}, headers=f.auth(w.part, w.event)).json
    assert res["results"][0]["id"] == str(w.accepted.id)
    assert str(w.foreign.id) not in {r["id"] for r in res["results"]}
    outsider = f.member(w.other, GEST)
    assert set(found(app, f, outsider, w.other, "graphene")) == {str(w.foreign.id)}


def test_gone_when_plugin_disabled(make_app, f, w):
    bare = make_app(**{"makeplus.plugins": "annonces"})
    res = bare.get("/api/search/", params={"q": "graphene"}, headers=f.auth(w.gest, w.event)).json
    assert res["count"] == 0 and res["results"] == []


def test_accents_folded_on_postgresql(app, f, w, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("accent folding (f_unaccent) exists on PostgreSQL only")
    sub = add_sub(f, w.event, "Étude des matériaux", "accepted", code="EP-2026-0003", contribution_number=3,
                  first="Hélène", last="Bénali")
    assert set(found(app, f, w.part, w.event, "etude materiaux")) == {str(sub.id)}
    assert set(found(app, f, w.part, w.event, "HELENE benali")) == {str(sub.id)}
