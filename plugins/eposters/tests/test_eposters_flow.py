"""E-posters: call, public submission, committee review, final poster, gallery, export."""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
import sqlalchemy as sa

from makeplus_core.plugin_api import utcnow
from makeplus_eposters.models import Submission
from makeplus_eposters.pdf import simple_pdf

PDF = simple_pdf("Poster", ["line one"])
LINK = re.compile(r"/api/eposter/final/([A-Za-z0-9_-]+)/")


def iso(d):
    return d.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def outbox(app):
    box = app.app.registry.makeplus.mailer.outbox
    box.clear()
    return box


class Ctx:
    pass


@pytest.fixture
def ctx(app, f, outbox):
    c = Ctx()
    c.event = f.event()
    c.gest = f.member(c.event, "gestionnaire_des_salles")
    c.rev1 = f.member(c.event, "participant")
    c.rev2 = f.member(c.event, "controlleur_des_badges")
    c.part = f.member(c.event, "participant")
    c.g = f.auth(c.gest, c.event)
    c.h1 = f.auth(c.rev1, c.event)
    c.h2 = f.auth(c.rev2, c.event)
    c.hp = f.auth(c.part, c.event)
    c.base = f"/api/eposter/{c.event.id}"
    c.outbox = outbox
    return c


def put_call(app, c, required=2, themes=("IA", "Design"), opens=-1, closes=10, published=True, status=200):
    now = utcnow()
    return app.put_json(f"{c.base}/call/", {
        "title": "Call", "opens_at": iso(now + dt.timedelta(days=opens)),
        "closes_at": iso(now + dt.timedelta(days=closes)), "required_validations": required,
        "themes": list(themes), "is_published": published}, headers=c.g, status=status)


def payload(**over):
    data = {
        "author_first_name": "Nadia", "author_last_name": "Khelifi", "author_email": "Nadia@Example.org",
        "author_phone": "+213 555", "institution": "CHU", "theme": "IA",
        "title": "Deep learning for early detection",
        "authors": [{"name": "Nadia Khelifi", "affiliation": "CHU"}, {"name": "Omar Saadi", "affiliation": "USTHB"}],
        "abstract": {"introduction": "intro", "methods": "methods", "results": "results", "conclusion": "end"},
    }
    data.update(over)
    return data


def submit(app, c, status=201, **over):
    return app.post_json(f"{c.base}/submissions/", payload(**over), status=status)


def add_committee(app, c):
    for u in (c.rev1, c.rev2):
        app.post_json(f"{c.base}/committee/", {"user_id": u.id}, headers=c.g, status=201)


def fetch(f, stmt):
    """Read one value with the test session, then end its transaction (SQLite locks)."""
    value = f.db.scalar(stmt)
    f.db.commit()
    return value


def token_from(mail) -> str:
    return LINK.search(mail.body).group(1)


# --------------------------------------------------------------------------- call


def test_call_management_and_public_view(app, f, ctx):
    c = ctx
    app.get(f"{c.base}/call/", status=404)  # no call yet
    put_call(app, c, published=False)
    app.get(f"{c.base}/call/", status=404)  # unpublished: invisible to the public
    full = app.get(f"{c.base}/call/", headers=c.g).json
    assert full["required_validations"] == 2 and full["is_published"] is False
    r = put_call(app, c)
    assert r.json["themes"] == ["IA", "Design"] and r.json["state"] == "open"
    public = app.get(f"{c.base}/call/").json
    assert public["is_open"] is True and public["themes"] == ["IA", "Design"]
    assert "required_validations" not in public and "id" not in public
    # roles and scoping
    app.put_json(f"{c.base}/call/", {"opens_at": "2030-01-01T00:00:00", "closes_at": "2030-02-01T00:00:00"},
                 headers=c.hp, status=403)
    other = f.event()
    og = f.member(other, "gestionnaire_des_salles")
    app.put_json(f"{c.base}/call/", {"opens_at": "2030-01-01T00:00:00", "closes_at": "2030-02-01T00:00:00"},
                 headers=f.auth(og, other), status=404)
    app.put_json(f"{c.base}/call/", {"opens_at": "2030-01-01T00:00:00", "closes_at": "2030-02-01T00:00:00"},
                 status=401)
    r = app.put_json(f"{c.base}/call/", {"opens_at": "2030-02-01T00:00:00", "closes_at": "2030-01-01T00:00:00"},
                     headers=c.g, status=400)
    assert r.json["field"] == "closes_at"
    r = app.put_json(f"{c.base}/call/", {"opens_at": "2030-01-01T00:00:00", "closes_at": "2030-02-01T00:00:00",
                                         "required_validations": 0}, headers=c.g, status=400)
    assert r.json["field"] == "required_validations"
    app.get("/api/eposter/00000000-0000-0000-0000-000000000000/call/", status=404)


# --------------------------------------------------------------------------- full flow


def test_full_flow_pending_accepted_final_gallery(app, f, ctx):
    c = ctx
    put_call(app, c, required=2)
    add_committee(app, c)
    r = submit(app, c)
    assert set(r.json) == {"id", "status", "message"} and r.json["status"] == "pending"
    sid = r.json["id"]

    listed = app.get(f"{c.base}/submissions/?status=pending", headers=c.h1).json
    assert listed["count"] == 1 and listed["results"][0]["title"] == "Deep learning for early detection"
    assert listed["results"][0]["abstract"]["methods"] == "methods"

    r = app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept", "comment": "good"},
                      headers=c.h1, status=201)
    assert r.json["status"] == "pending" and r.json["accepts"] == 1 and r.json["outcome"] is None
    assert c.outbox == []
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.h1, status=409)

    r = app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept", "comment": "ok"},
                      headers=c.h2, status=201)
    assert r.json["status"] == "accepted" and r.json["outcome"] == "accepted"
    code = r.json["contribution_number"]
    assert code == f"EP-{c.event.start_date.year}-0001"
    assert len(c.outbox) == 1
    mail = c.outbox[0]
    assert mail.recipients == ["nadia@example.org"] and code in mail.body
    token = token_from(mail)
    # the token is not stored in clear
    stored = fetch(f, sa.select(Submission).where(Submission.id == uuid.UUID(sid)))
    assert token not in (stored.final_token_hash or "") and stored.final_token_hash

    # decided: no more reviews, no more mails
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "reject", "comment": "late"},
                  headers=c.g, status=409)
    assert len(c.outbox) == 1
    assert app.get(f"{c.base}/submissions/?status=pending", headers=c.g).json["count"] == 0

    # not in the gallery before the final poster
    assert app.get(f"{c.base}/gallery/", headers=c.hp).json["count"] == 0

    info = app.get(f"/api/eposter/final/{token}/").json
    assert info == {"title": "Deep learning for early detection", "status": "accepted"}

    r = app.post(f"/api/eposter/final/{token}/",
                 {"title": "Deep learning, final", "authors": '["Nadia Khelifi", "Omar Saadi"]',
                  "co_authors": "Lina Haddad"}, upload_files=[("poster_pdf", "poster.pdf", PDF)], status=201)
    assert r.json["status"] == "final_submitted"

    g = app.get(f"{c.base}/gallery/", headers=c.hp).json
    assert g["count"] == 1 and g["next"] is None and g["previous"] is None
    item = g["results"][0]
    assert item["id"] == sid and item["contribution_number"] == code
    assert item["title"] == "Deep learning, final"
    assert item["authors"] == "Nadia Khelifi, Omar Saadi" and item["co_authors"] == "Lina Haddad"
    assert item["submitted_at"].endswith("Z") and item["theme"] == "IA"
    assert item["pdf_url"].startswith("http://localhost/media/eposters/posters/")
    pdf = app.get(item["pdf_url"].replace("http://localhost", ""))
    assert pdf.body.startswith(b"%PDF-")

    for q in ("deep LEARNING", "saadi", code.lower(), "haddad"):
        assert app.get(f"{c.base}/gallery/", {"q": q}, headers=c.hp).json["count"] == 1, q
    assert app.get(f"{c.base}/gallery/", {"q": "nothing-like-this"}, headers=c.hp).json["count"] == 0

    # the link works once
    r = app.post(f"/api/eposter/final/{token}/", {"title": "again"},
                 upload_files=[("poster_pdf", "poster.pdf", PDF)], status=410)
    assert "already been used" in r.json["message"]
    app.get(f"/api/eposter/final/{token}/", status=410)
    assert len(c.outbox) == 1


def test_rejected_never_in_gallery_and_one_mail(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    add_committee(app, c)
    sid = submit(app, c).json["id"]
    r = app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "reject"}, headers=c.h1, status=400)
    assert r.json["field"] == "comment"
    r = app.post_json(f"/api/eposter/submissions/{sid}/review/",
                      {"decision": "reject", "comment": "Out of scope"}, headers=c.h1, status=201)
    assert r.json["status"] == "rejected" and r.json["decision_reason"] == "Out of scope"
    assert r.json["contribution_number"] is None
    assert len(c.outbox) == 1 and "Out of scope" in c.outbox[0].body
    assert "/api/eposter/final/" not in c.outbox[0].body
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.h2, status=409)
    assert len(c.outbox) == 1
    assert app.get(f"{c.base}/gallery/", headers=c.hp).json["count"] == 0
    assert app.get(f"{c.base}/submissions/?status=rejected", headers=c.g).json["count"] == 1
    app.get(f"{c.base}/submissions/?status=bogus", headers=c.g, status=400)


def test_codes_are_sequential_and_unique(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    add_committee(app, c)
    codes = []
    for i in range(3):
        sid = submit(app, c, title=f"Work {i}").json["id"]
        r = app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.h1)
        codes.append(r.json["contribution_number"])
    year = c.event.start_date.year
    assert codes == [f"EP-{year}-0001", f"EP-{year}-0002", f"EP-{year}-0003"]
    assert len(c.outbox) == 3 and len({token_from(m) for m in c.outbox}) == 3


# --------------------------------------------------------------------------- submission rules


def test_submission_validation(app, f, ctx):
    c = ctx
    put_call(app, c)
    r = submit(app, c, status=400, abstract={"introduction": "i", "methods": "x" * 2001, "results": "r",
                                             "conclusion": "c"})
    assert r.json["field"] == "abstract.methods"
    r = submit(app, c, status=400, theme="Cooking")
    assert r.json["field"] == "theme"
    r = submit(app, c, status=400, theme=None)
    assert r.json["field"] == "theme"
    r = submit(app, c, status=400, authors=[])
    assert r.json["field"] == "authors"
    r = submit(app, c, status=400, author_email="not-an-email")
    assert r.json["field"] == "author_email"
    r = app.post_json(f"{c.base}/submissions/", {"title": "x"}, status=400)
    assert "field" in r.json
    assert fetch(f, sa.select(sa.func.count()).select_from(Submission)) == 0


def multipart_fields(**over):
    import json

    data = payload(**over)
    fields = {k: v for k, v in data.items() if k not in ("authors", "abstract")}
    fields["authors"] = json.dumps(data["authors"])
    for k, v in data["abstract"].items():
        fields[f"abstract_{k}"] = v
    return fields


def test_multipart_submission_with_pdf(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    r = app.post(f"{c.base}/submissions/", multipart_fields(),
                 upload_files=[("abstract_pdf", "abstract.pdf", PDF)], status=201)
    assert set(r.json) == {"id", "status", "message"}
    sub = fetch(f, sa.select(Submission))
    assert sub.abstract_pdf.startswith("eposters/abstracts/") and sub.abstract_pdf.endswith(".pdf")
    assert sub.authors[1] == {"name": "Omar Saadi", "affiliation": "USTHB"}
    assert sub.abstract_results == "results"
    # A file named .pdf that is not a PDF is refused
    r = app.post(f"{c.base}/submissions/", multipart_fields(),
                 upload_files=[("abstract_pdf", "abstract.pdf", b"MZ\x90\x00 not a pdf")], status=400)
    assert r.json["field"] == "abstract_pdf"
    assert fetch(f, sa.select(sa.func.count()).select_from(Submission)) == 1


def test_pdf_size_limit(make_app, app, f, ctx):
    c = ctx
    put_call(app, c)
    small = make_app(**{"makeplus.max_upload_bytes": "1024"})
    big = PDF + b"%" + b"x" * 2048
    r = small.post(f"{c.base}/submissions/", multipart_fields(),
                   upload_files=[("abstract_pdf", "a.pdf", big)], status=413)
    assert r.json["field"] == "abstract_pdf"


def test_submission_outside_the_call_window(app, f, ctx):
    c = ctx
    r = submit(app, c, status=404)  # no call
    put_call(app, c, opens=-10, closes=-1)
    r = submit(app, c, status=409)
    assert "closed" in r.json["message"]
    put_call(app, c, opens=2, closes=10)
    r = submit(app, c, status=409)
    assert "opens" in r.json["message"]
    put_call(app, c, published=False)
    submit(app, c, status=404)
    assert fetch(f, sa.select(sa.func.count()).select_from(Submission)) == 0


def test_public_endpoint_cannot_read_anything(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    sid = submit(app, c).json["id"]
    app.get(f"{c.base}/submissions/", status=401)
    app.get(f"{c.base}/submissions/?status=pending", status=401)
    app.get(f"/api/eposter/submissions/{sid}/", status=404)
    app.get(f"/api/eposter/submissions/{sid}/review/", status=405)
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, status=401)
    app.get(f"{c.base}/export/", status=401)
    app.get(f"{c.base}/committee/", status=401)
    # a plain participant (not on the committee) cannot read submissions either
    app.get(f"{c.base}/submissions/", headers=c.hp, status=403)
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.hp, status=403)


def test_rate_limited(make_app, app, f, ctx):
    c = ctx
    put_call(app, c)
    limited = make_app(**{"makeplus.ratelimit.enabled": "true", "makeplus.ratelimit.public_submit": "2/600"})
    env = {"REMOTE_ADDR": "10.9.8.7"}
    for _ in range(2):
        limited.post_json(f"{c.base}/submissions/", payload(), extra_environ=env, status=201)
    r = limited.post_json(f"{c.base}/submissions/", payload(), extra_environ=env, status=429)
    assert "Retry-After" in r.headers


# --------------------------------------------------------------------------- committee


def test_committee_management(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    outsider = f.user()
    r = app.post_json(f"{c.base}/committee/", {"user_id": outsider.id}, headers=c.g, status=400)
    assert r.json["field"] == "user_id"
    app.post_json(f"{c.base}/committee/", {"user_id": c.rev1.id}, headers=c.hp, status=403)
    app.post_json(f"{c.base}/committee/", {"user_id": "x"}, headers=c.g, status=400)
    app.post_json(f"{c.base}/committee/", {"user_id": c.rev1.id}, headers=c.g, status=201)
    app.post_json(f"{c.base}/committee/", {"user_id": c.rev1.id}, headers=c.g, status=409)
    listed = app.get(f"{c.base}/committee/", headers=c.g).json
    assert [m["user_id"] for m in listed["results"]] == [c.rev1.id]
    app.get(f"{c.base}/committee/", headers=c.h1, status=200)
    app.get(f"{c.base}/committee/", headers=c.hp, status=403)
    sid = submit(app, c).json["id"]
    app.get(f"{c.base}/submissions/", headers=c.h1, status=200)
    app.delete(f"{c.base}/committee/{c.rev1.id}/", headers=c.hp, status=403)
    app.delete(f"{c.base}/committee/{c.rev1.id}/", headers=c.g, status=204)
    app.delete(f"{c.base}/committee/{c.rev1.id}/", headers=c.g, status=404)
    app.get(f"{c.base}/submissions/", headers=c.h1, status=403)
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.h1, status=403)
    # a gestionnaire may review without being on the committee
    r = app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.g,
                      status=201)
    assert r.json["status"] == "accepted"


def test_other_event_cannot_review_or_list(app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    sid = submit(app, c).json["id"]
    other = f.event()
    og = f.member(other, "gestionnaire_des_salles")
    h = f.auth(og, other)
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=h, status=404)
    app.get(f"{c.base}/submissions/", headers=h, status=404)
    app.get(f"{c.base}/export/", headers=h, status=404)
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "maybe"}, headers=c.g, status=400)
    app.post_json("/api/eposter/submissions/00000000-0000-0000-0000-000000000000/review/",
                  {"decision": "accept"}, headers=c.g, status=404)


# --------------------------------------------------------------------------- final link


def accept_two(app, c):
    put_call(app, c, required=1)
    add_committee(app, c)
    ids = []
    for title in ("Alpha study", "Beta study"):
        sid = submit(app, c, title=title).json["id"]
        app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.h1)
        ids.append(sid)
    tokens = [token_from(m) for m in c.outbox]
    return ids, tokens


def test_final_link_single_contribution_and_expiry(app, f, ctx):
    c = ctx
    (a_id, b_id), (ta, tb) = accept_two(app, c)
    codes = {s["id"]: s["contribution_number"]
             for s in app.get(f"{c.base}/submissions/", headers=c.g).json["results"]}
    # A's link cannot be used for B's contribution
    r = app.post(f"/api/eposter/final/{ta}/", {"code": codes[b_id]},
                 upload_files=[("poster_pdf", "p.pdf", PDF)], status=400)
    assert r.json["field"] == "code"
    # a non-PDF poster is refused and the link still works afterwards
    r = app.post(f"/api/eposter/final/{ta}/", {}, upload_files=[("poster_pdf", "p.pdf", b"<html>no</html>")],
                 status=400)
    assert r.json["field"] == "poster_pdf"
    r = app.post(f"/api/eposter/final/{ta}/", {"title": "x"}, status=400)
    assert r.json["field"] == "poster_pdf"
    app.post(f"/api/eposter/final/{ta}/", {"code": codes[a_id]}, upload_files=[("poster_pdf", "p.pdf", PDF)],
             status=201)
    gallery = app.get(f"{c.base}/gallery/", headers=c.hp).json
    assert [g["id"] for g in gallery["results"]] == [a_id]
    assert gallery["results"][0]["title"] == "Alpha study"  # title defaults to the submitted one
    assert gallery["results"][0]["authors"] == "Nadia Khelifi, Omar Saadi"
    app.post(f"/api/eposter/final/{ta}/", {}, upload_files=[("poster_pdf", "p.pdf", PDF)], status=410)
    # B's link expires
    f.db.execute(sa.update(Submission).where(Submission.id == uuid.UUID(b_id))
                 .values(final_token_expires_at=utcnow() - dt.timedelta(seconds=1)))
    f.db.commit()
    r = app.get(f"/api/eposter/final/{tb}/", status=410)
    assert "expired" in r.json["message"]
    app.post(f"/api/eposter/final/{tb}/", {}, upload_files=[("poster_pdf", "p.pdf", PDF)], status=410)
    app.get("/api/eposter/final/not-a-real-token-at-all/", status=404)
    app.post("/api/eposter/final/not-a-real-token-at-all/", {}, upload_files=[("poster_pdf", "p.pdf", PDF)],
             status=404)
    assert [g["id"] for g in app.get(f"{c.base}/gallery/", headers=c.hp).json["results"]] == [a_id]


def test_final_link_delay_is_configurable(make_app, app, f, ctx):
    c = ctx
    put_call(app, c, required=1)
    short = make_app(**{"makeplus.eposters.final_link_days": "2"})
    sid = submit(app, c).json["id"]
    short.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.g)
    sub = fetch(f, sa.select(Submission).where(Submission.id == uuid.UUID(sid)))
    delta = sub.final_token_expires_at - sub.decided_at
    assert delta == dt.timedelta(days=2)


# --------------------------------------------------------------------------- gallery


def _poster(app, c, title):
    sid = submit(app, c, title=title).json["id"]
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=c.g)
    token = token_from(c.outbox[-1])
    app.post(f"/api/eposter/final/{token}/", {}, upload_files=[("poster_pdf", "p.pdf", PDF)], status=201)
    return sid


def test_gallery_access_and_query_count(app, f, ctx, count_queries):
    c = ctx
    put_call(app, c, required=1)
    _poster(app, c, "First poster")
    for role in ("participant", "exposant", "controlleur_des_badges", "gestionnaire_des_salles"):
        u = f.member(c.event, role)
        assert app.get(f"{c.base}/gallery/", headers=f.auth(u, c.event)).json["count"] == 1
    admin = f.user(is_admin=True)
    assert app.get(f"{c.base}/gallery/", headers=f.auth(admin)).json["count"] == 1
    app.get(f"{c.base}/gallery/", status=401)
    other = f.event()
    stranger = f.member(other, "participant")
    r = app.get(f"{c.base}/gallery/", headers=f.auth(stranger, other), status=404)
    assert r.json["error"] == "not_found"
    app.get("/api/eposter/00000000-0000-0000-0000-000000000000/gallery/", headers=c.hp, status=404)
    # fixed number of statements whatever the page size
    with count_queries() as q1:
        app.get(f"{c.base}/gallery/", headers=c.hp)
    for i in range(4):
        _poster(app, c, f"Poster {i}")
    with count_queries() as q5:
        r = app.get(f"{c.base}/gallery/", headers=c.hp)
    assert r.json["count"] == 5 and q1.count == q5.count
    page = app.get(f"{c.base}/gallery/", {"page_size": 2}, headers=c.hp).json
    assert len(page["results"]) == 2 and page["next"]
    with count_queries() as l1:
        app.get(f"{c.base}/submissions/", headers=c.g)
    submit(app, c, title="Pending one")
    with count_queries() as l2:
        app.get(f"{c.base}/submissions/", headers=c.g)
    assert l1.count == l2.count


# --------------------------------------------------------------------------- export


def test_export_xlsx(app, f, ctx):
    from openpyxl import load_workbook

    from makeplus_core.testing import assert_text_cells

    c = ctx
    put_call(app, c, required=1)
    add_committee(app, c)
    submit(app, c, title="=HYPERLINK(\"http://evil\",\"x\")")
    sid = submit(app, c, title="Plain title").json["id"]
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "reject", "comment": "-no"},
                  headers=c.h1)
    r = app.get(f"{c.base}/export/", headers=c.g)
    assert r.content_type.startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.body)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Code" and len(rows) == 3
    titles = {row[3]: row for row in rows[1:]}
    assert_text_cells(r.body, ['=HYPERLINK("http://evil","x")', "-no"])
    assert titles["Plain title"][1] == "rejected" and titles["Plain title"][14] == "-no"
    assert titles["Plain title"][12] == 1
    app.get(f"{c.base}/export/", headers=c.h1, status=403)
    app.get(f"{c.base}/export/", headers=c.hp, status=403)


def test_concurrent_acceptances_get_distinct_codes(app, f, ctx):
    """Reviews of different submissions accepted at the same time never share a code."""
    import threading

    import webtest

    c = ctx
    put_call(app, c, required=1)
    ids = [submit(app, c, title=f"Parallel {i}").json["id"] for i in range(6)]
    wsgi = app.app
    results, errors = [], []
    barrier = threading.Barrier(len(ids))

    def accept(sid):
        client = webtest.TestApp(wsgi, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        try:
            r = client.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"},
                                 headers=c.g, expect_errors=True)
            results.append((r.status_int, r.json.get("contribution_number")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=(sid,)) for sid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(status == 201 for status, _ in results), results
    codes = sorted(code for _, code in results)
    year = c.event.start_date.year
    assert codes == [f"EP-{year}-{n:04d}" for n in range(1, 7)]
    assert len(c.outbox) == 6


def test_concurrent_reviews_of_one_submission_decide_once(app, f, ctx):
    import threading

    import webtest

    c = ctx
    put_call(app, c, required=1)
    add_committee(app, c)
    sid = submit(app, c).json["id"]
    statuses = []
    barrier = threading.Barrier(3)

    def review(headers):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        r = client.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"},
                             headers=headers, expect_errors=True)
        statuses.append(r.status_int)

    threads = [threading.Thread(target=review, args=(h,)) for h in (c.h1, c.h2, c.g)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409, 409]
    assert len(c.outbox) == 1
