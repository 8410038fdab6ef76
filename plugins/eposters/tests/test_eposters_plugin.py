"""E-posters as a plugin: disabled app, demo data, personal-data export."""
from __future__ import annotations

import pathlib

import sqlalchemy as sa

from makeplus_core.plugin_api import demo as core_demo
from makeplus_core.plugin_api import make_plugin_manager
from makeplus_eposters.models import Call, Submission


def test_disabled_plugin_routes_are_404(make_app, app, f):
    event = f.event()
    user = f.member(event, "gestionnaire_des_salles")
    bare = make_app(**{"makeplus.plugins": "annonces"})
    assert "eposters" not in bare.get("/api/health/").json["plugins"]
    h = f.auth(user, event)
    base = f"/api/eposter/{event.id}"
    bare.get(f"{base}/gallery/", headers=h, status=404)
    bare.get(f"{base}/call/", status=404)
    bare.post_json(f"{base}/submissions/", {"title": "x"}, status=404)
    bare.get(f"{base}/export/", headers=h, status=404)
    bare.get("/api/eposter/final/some-token-value-123/", status=404)
    # the rest of the app is unchanged
    assert bare.get("/api/auth/me/", headers=h).json["id"] == user.id
    assert "eposters" in app.get("/api/health/").json["plugins"]
    app.get(f"{base}/gallery/", headers=h, status=200)


def test_demo_data(app, db, settings, tmp_path):
    demo_settings = {**settings, "makeplus.storage_root": str(tmp_path)}
    pm = make_plugin_manager(demo_settings)
    data = core_demo.load(db, pm, settings=demo_settings)
    db.commit()
    core_demo.load(db, pm, settings=demo_settings)  # idempotent
    db.commit()
    event = data.events[0]
    assert db.scalar(sa.select(sa.func.count()).select_from(Call)) == 1
    statuses = dict(db.execute(sa.select(Submission.status, sa.func.count()).where(Submission.event_id == event.id)
                               .group_by(Submission.status)).all())
    assert statuses["pending"] >= 1 and statuses["accepted"] >= 1 and statuses["rejected"] >= 1
    codes = db.scalars(sa.select(Submission.code).where(Submission.code.is_not(None))).all()
    assert len(codes) == len(set(codes)) == statuses["accepted"]
    db.commit()

    login = app.post_json("/api/auth/login/", {"email": "participant@makeplus.demo", "password": data.password,
                                               "event_id": str(event.id)}).json
    token = login.get("access") or login.get("access_token") or login.get("token")
    h = {"Authorization": f"Bearer {token}"}
    gallery = app.get(f"/api/eposter/{event.id}/gallery/", headers=h).json
    assert gallery["count"] == 3
    for item in gallery["results"]:
        rel = item["pdf_url"].split("/media/", 1)[1]
        assert (pathlib.Path(tmp_path) / rel).read_bytes().startswith(b"%PDF-")
    public = app.get(f"/api/eposter/{event.id}/call/").json
    assert public["is_open"] is True


def test_user_export_lists_reviews(app, f):
    event = f.event()
    gest = f.member(event, "gestionnaire_des_salles")
    h = f.auth(gest, event)
    app.put_json(f"/api/eposter/{event.id}/call/", {"opens_at": "2000-01-01T00:00:00",
                                                   "closes_at": "2999-01-01T00:00:00", "is_published": True},
                 headers=h)
    sid = app.post_json(f"/api/eposter/{event.id}/submissions/", {
        "author_first_name": "A", "author_last_name": "B", "author_email": gest.email, "title": "T",
        "authors": ["A B"], "abstract": {"introduction": "i", "methods": "m", "results": "r", "conclusion": "c"},
    }, status=201).json["id"]
    app.post_json(f"/api/eposter/submissions/{sid}/review/", {"decision": "accept"}, headers=h, status=201)
    export = app.get("/api/auth/me/export/", headers=h).json
    blob = str(export)
    assert "eposters_reviews" in blob and sid in blob


def test_generated_demo_pdf_is_well_formed():
    import re

    from makeplus_eposters.pdf import simple_pdf

    data = simple_pdf("Titre (é)", ["ligne \\ 1", "EP-2025-0001"])
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", data)]
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(f"{number} 0 obj".encode())
    length = int(re.search(rb"/Length (\d+)", data).group(1))
    stream = data.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(stream) == length and b"(Titre \\(\xe9\\)) Tj" in stream


def test_openapi_lists_the_eposter_services(app):
    paths = app.get("/api/openapi.json").json["paths"]
    eposter = [p for p in paths if p.startswith("/api/eposter/")]
    assert any(p.endswith("/gallery/") for p in eposter)
    assert any(p.endswith("/submissions/") for p in eposter)


def test_submissions_follow_a_verified_address_only(app, f):
    """Registering with an author's address shows none of their submissions until the
    address is verified (issue 14)."""
    import re

    event = f.event()
    gest = f.member(event, "gestionnaire_des_salles")
    app.put_json(f"/api/eposter/{event.id}/call/", {"opens_at": "2000-01-01T00:00:00",
                                                   "closes_at": "2999-01-01T00:00:00", "is_published": True},
                 headers=f.auth(gest, event))
    sid = app.post_json(f"/api/eposter/{event.id}/submissions/", {
        "author_first_name": "A", "author_last_name": "B", "author_email": "author@lab.example", "title": "T",
        "authors": ["A B"], "abstract": {"introduction": "i", "methods": "m", "results": "r", "conclusion": "c"},
    }, status=201).json["id"]
    outbox = app.app.registry.makeplus.mailer.outbox
    outbox.clear()
    app.post_json("/api/auth/register/", {"email": "author@lab.example", "password": "claimer-pass"}, status=201)
    token = app.post_json("/api/auth/token/", {"email": "author@lab.example", "password": "claimer-pass"}).json
    h = {"Authorization": f"Bearer {token['access']}"}
    assert app.get("/api/auth/me/export/", headers=h).json["eposters_submissions"] == []
    mail = [m for m in outbox if m.recipients == ["author@lab.example"]][-1]
    code = re.search(r"verify-email/\?token=([A-Za-z0-9_-]+)", mail.body).group(1)
    app.post_json("/api/auth/verify-email/", {"token": code}, status=200)
    subs = app.get("/api/auth/me/export/", headers=h).json["eposters_submissions"]
    assert [s["id"] for s in subs] == [sid]
