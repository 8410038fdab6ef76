"""Every input gets a clear 4xx, never a 500 (issue 14, "Input limits" in docs/security.md).

One body parser (makeplus_core.inputs), one bounded integer and one money type
(makeplus_core.schema), validation before any flush, and database refusals answered
as JSON with the request id. Run on SQLite and PostgreSQL: NUL bytes and integer
range were PostgreSQL-only 500s.
"""
import datetime as dt
import json
import logging
import re
import uuid

import pytest
import sqlalchemy as sa

GEST = "gestionnaire_des_salles"


@pytest.fixture
def w(f):
    class W:
        pass

    w = W()
    w.event = f.event()
    w.room = f.room(w.event, name="Amphi")
    w.gest = f.member(w.event, GEST)
    w.h = f.auth(w.gest, w.event)
    w.start = (w.event.start_date + dt.timedelta(hours=2)).isoformat()
    w.end = (w.event.start_date + dt.timedelta(hours=3)).isoformat()
    return w


def _refused(r, status, field):
    assert r.status_int == status, r.text
    assert r.content_type == "application/json"
    assert r.json["field"] == field, r.json
    assert r.json["message"] and r.json["error"]
    return r.json


def _raw(app, method, path, text, headers=None, ctype="application/json", status=None):
    return app.request(path, method=method, body=text.encode("utf-8", "surrogatepass"),
                       headers={**(headers or {}), "Content-Type": ctype}, expect_errors=True)


def _body_endpoints(app):
    """(method, path) of every Cornice service that takes a body, path ids filled in."""
    out = []
    for svc in app.app.registry.cornice_services.values():
        path = re.sub(r"\{(\w+):\\d\+\}", "1", svc.path)
        path = re.sub(r"\{\w+(:[^}]*)?\}", str(uuid.uuid4()), path)
        for method, *_ in svc.definitions:
            if method in ("POST", "PUT", "PATCH"):
                out.append((method, path))
    return sorted(set(out))


# --------------------------------------------------------------------------- body parser


def test_multipart_without_boundary_is_400_on_every_endpoint_with_a_body(app, w):
    endpoints = _body_endpoints(app)
    assert ("POST", "/api/auth/token/") in endpoints and len(endpoints) > 30
    for method, path in endpoints:
        for headers in ({}, w.h):
            r = app.request(path, method=method, body=b"--x\r\nfoo\r\n",
                            headers={**headers, "Content-Type": "multipart/form-data"}, expect_errors=True)
            assert r.status_int == 400, (method, path, r.status, r.text[:200])
            assert r.json["field"] == "body", (method, path)


def test_text_plain_and_unknown_media_types_are_415(app, f):
    user = f.user()
    body = json.dumps({"email": user.email, "password": "makeplus2025"})
    for ctype in ("text/plain", "text/plain; charset=utf-8", "application/xml", ""):
        r = app.request("/api/auth/token/", method="POST", body=body.encode(),
                        headers={"Content-Type": ctype} if ctype else {}, expect_errors=True)
        body_json = _refused(r, 415, "Content-Type")
        assert body_json["error"] == "unsupported_media_type"
    # the same body as JSON logs in; an empty body needs no media type (logout, toggles)
    app.request("/api/auth/token/", method="POST", body=body.encode(),
                headers={"Content-Type": "application/json; charset=utf-8"}, status=200)
    app.request("/api/auth/token/", method="POST", body=body.encode(),
                headers={"Content-Type": "application/vnd.api+json"}, status=200)
    r = app.request("/api/auth/token/", method="POST", body=b"", headers={"Content-Type": "text/plain"},
                    expect_errors=True)
    assert r.status_int == 400 and r.json["field"] == "email"


def test_body_larger_than_the_limit_is_413_before_parsing(app, make_app, f):
    small = make_app(**{"makeplus.max_body_bytes": "2048", "makeplus.max_upload_bytes": "8192"})
    big_json = json.dumps({"email": "a@b.dz", "password": "x" * 3000})
    r = small.post("/api/auth/token/", big_json, content_type="application/json", expect_errors=True)
    assert _refused(r, 413, "body")["error"] == "too_large"
    # not parsed: broken JSON of the same size is a 413 too, not a 400
    _refused(small.post("/api/auth/token/", "{" * 3000, content_type="application/json", expect_errors=True),
             413, "body")
    _refused(small.post("/api/auth/token/", {"email": "a@b.dz", "password": "x" * 3000}, expect_errors=True),
             413, "body")
    # under the limit: parsed and validated as usual
    small.post("/api/auth/token/", json.dumps({"email": "a@b.dz", "password": "x" * 100}),
               content_type="application/json", status=401)
    # files: the upload limit (plus the JSON limit for the other fields), not the JSON limit
    event = f.event()
    h = f.auth(f.member(event, GEST), event)
    pdf = b"%PDF-1.4\n" + b"0" * 5000
    small.post(f"/api/events/{event.id}/upload_programme/", headers=h,
               upload_files=[("file", "p.pdf", pdf)], status=200)
    r = small.post(f"/api/events/{event.id}/upload_programme/", headers=h,
                   upload_files=[("file", "p.pdf", pdf * 3)], expect_errors=True)
    _refused(r, 413, "body")
    # the default limit is 1 MB
    huge = json.dumps({"email": "a@b.dz", "password": "x" * (1024 * 1024)})
    _refused(app.post("/api/auth/token/", huge, content_type="application/json", expect_errors=True), 413, "body")


def test_json_nested_100000_deep_is_400(app, w):
    deep = "[" * 100_000 + "]" * 100_000
    _refused(_raw(app, "POST", "/api/rooms/", deep, w.h), 400, "body")
    deep_obj = '{"a":' * 100_000 + "1" + "}" * 100_000
    _refused(_raw(app, "POST", "/api/auth/token/", deep_obj), 400, "body")
    metadata = 1
    for _ in range(40):
        metadata = {"k": metadata}
    r = app.patch_json(f"/api/events/{w.event.id}/", {"metadata": metadata}, headers=w.h, expect_errors=True)
    assert _refused(r, 400, "metadata" + ".k" * 31)


def test_nan_and_infinity_are_400(app, w):
    base = {"room": str(w.room.id), "title": "Atelier", "start_time": w.start, "end_time": w.end,
            "is_paid": True}
    for price in ("NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e999999"):
        _refused(app.post_json("/api/sessions/", {**base, "price": price}, headers=w.h, expect_errors=True),
                 400, "price")
    for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
        text = json.dumps(base)[:-1] + f', "price": {literal}}}'
        _refused(_raw(app, "POST", "/api/sessions/", text, w.h), 400, "body")
    ok = app.post_json("/api/sessions/", {**base, "price": 1500}, headers=w.h, status=201).json
    assert ok["price"] == "1500.00"


def test_lone_surrogates_are_400(app, w):
    _refused(_raw(app, "POST", "/api/rooms/", '{"name": "Salle \\ud800"}', w.h), 400, "name")
    _refused(_raw(app, "POST", "/api/rooms/", '{"name": "A", "\\udfff": 1}', w.h), 400, "\\udfff")
    r = _raw(app, "PATCH", f"/api/events/{w.event.id}/", '{"metadata": {"tags": ["ok", "\\ud83d"]}}', w.h)
    _refused(r, 400, "metadata.tags.1")
    # a query string that is not UTF-8 (an encoded surrogate)
    _refused(app.get("/api/rooms/?search=%ED%A0%80", headers=w.h, expect_errors=True), 400, "query")
    # a real (paired) emoji is fine
    r = _raw(app, "POST", "/api/rooms/", '{"name": "Salle \\ud83d\\ude00"}', w.h)
    assert r.status_int == 201 and r.json["name"] == "Salle \U0001F600"


def test_nul_bytes_are_400(app, w):
    _refused(app.post_json("/api/rooms/", {"name": "a\x00b"}, headers=w.h, expect_errors=True), 400, "name")
    _refused(app.get("/api/rooms/?search=a%00b", headers=w.h, expect_errors=True), 400, "search")
    _refused(app.get("/api/participants/?search=%00", headers=w.h, expect_errors=True), 400, "search")
    _refused(app.post("/api/auth/token/", {"email": "a\x00@b.dz", "password": "x"}, expect_errors=True),
             400, "email")
    _refused(app.post("/api/auth/token/", upload_files=[("file", "a.txt", b"x")],
                      params={"email": "a@b.dz", "password": "p\x00"}, expect_errors=True), 400, "password")
    assert app.get("/api/rooms/?search=Amphi", headers=w.h).json["count"] == 1


# --------------------------------------------------------------------------- bounded integers


def test_integers_beyond_the_database_range_are_400(app, f, w):
    big = 2 ** 31
    for value in (big, 2 ** 64, -(2 ** 31) - 1, True, 1.5, "12", [], {}):
        r = app.post_json("/api/rooms/", {"name": f"R{value!r}", "capacity": value}, headers=w.h,
                          expect_errors=True)
        if value == "12":
            assert r.status_int == 201 and r.json["capacity"] == 12
        else:
            _refused(r, 400, "capacity")
    _refused(app.patch_json(f"/api/rooms/{w.room.id}/", {"capacity": big}, headers=w.h, expect_errors=True),
             400, "capacity")
    base = {"room": str(w.room.id), "title": "S", "start_time": w.start, "end_time": w.end}
    _refused(app.post_json("/api/sessions/", {**base, "capacity": big}, headers=w.h, expect_errors=True),
             400, "capacity")
    for q in (f"page={2 ** 63}", f"page={big}0", "page=0", f"page_size={2 ** 64}", "page=1e3"):
        field = q.split("=")[0]
        _refused(app.get(f"/api/rooms/?{q}", headers=w.h, expect_errors=True), 400, field)
        _refused(app.get(f"/api/search/?q=amphi&{q}", headers=w.h, expect_errors=True), 400, field)
    for q in (f"user={2 ** 64}", f"user={big}", f"user_id={big}"):
        field = q.split("=")[0]
        _refused(app.get(f"/api/participants/?{q}", headers=w.h, expect_errors=True), 400, field)
        _refused(app.get(f"/api/user-assignments/?{q}", headers=w.h, expect_errors=True), 400, field)
    admin = f.auth(f.user(is_admin=True), w.event)  # only platform admins assign an account by its id
    _refused(app.post_json("/api/user-assignments/", {"user": big, "role": "participant"}, headers=admin,
                           expect_errors=True), 400, "user")
    _refused(app.patch_json(f"/api/events/{w.event.id}/", {"president": big}, headers=w.h, expect_errors=True),
             400, "president")
    # an integer path id the database cannot hold does not exist
    r = app.post(f"/api/users/{2 ** 64}/badge/reissue/", headers=w.h, expect_errors=True)
    assert r.status_int == 404 and r.json["field"] == "user_id"


@pytest.mark.plugin("caisse")
def test_caisse_items_use_the_bounded_types(app, w):
    item = {"name": "Dîner", "price": "2500"}
    _refused(app.post_json("/api/caisse/items/", {**item, "capacity": 2 ** 31}, headers=w.h, expect_errors=True),
             400, "capacity")
    for price in ("NaN", "Infinity", "12.345", -1, 10 ** 10, True):
        _refused(app.post_json("/api/caisse/items/", {**item, "price": price}, headers=w.h, expect_errors=True),
                 400, "price")
    created = app.post_json("/api/caisse/items/", {**item, "price": 2500, "capacity": 10}, headers=w.h,
                            status=201).json
    assert created["price"] == "2500.00" and created["capacity"] == 10


@pytest.mark.plugin("eposters", "annonces")
def test_plugin_integer_fields_are_bounded(app, w):
    r = app.post_json(f"/api/eposter/{w.event.id}/committee/", {"user_id": 2 ** 40}, headers=w.h,
                      expect_errors=True)
    _refused(r, 400, "user_id")
    r = app.delete(f"/api/eposter/{w.event.id}/committee/{2 ** 64}/", headers=w.h, expect_errors=True)
    assert r.status_int == 404
    _refused(app.get(f"/api/annonces/?created_by={2 ** 40}", headers=w.h, expect_errors=True), 400, "created_by")


# --------------------------------------------------------------------------- validation before flush


def test_event_patch_is_validated_before_any_flush(app, f, db, w):
    """An end before the start together with a president lookup: the lookup used to
    autoflush the new dates into the CHECK constraint (a 500 on both databases)."""
    president = f.user()
    before = (w.event.start_date - dt.timedelta(days=5)).isoformat()
    r = app.patch_json(f"/api/events/{w.event.id}/", {"end_date": before, "president": president.id},
                       headers=w.h, expect_errors=True)
    _refused(r, 400, "end_date")
    r = app.patch_json(f"/api/events/{w.event.id}/", {"name": "Renamed", "president": 2 ** 31 - 1},
                       headers=w.h, expect_errors=True)
    _refused(r, 400, "president")
    db.expire_all()
    from makeplus_core.events.models import Event

    assert db.get(Event, w.event.id).name != "Renamed"
    ok = app.patch_json(f"/api/events/{w.event.id}/", {"president": president.id}, headers=w.h).json
    assert ok["id"] == str(w.event.id)


def test_unknown_json_fields_are_ignored(app, w):
    r = app.post_json("/api/rooms/", {"name": "Extra", "capacity": 3, "not_a_field": {"x": 1}}, headers=w.h,
                      status=201)
    assert "not_a_field" not in r.json and r.json["capacity"] == 3


@pytest.mark.parametrize("field,value", [("metadata", {"blob": "x" * (65 * 1024)}),
                                         ("themes", ["t" * 1000] * 70),
                                         ("settings", json.dumps({"blob": "y" * (65 * 1024)}))])
def test_json_metadata_fields_have_a_size_cap(app, w, field, value):
    r = app.patch_json(f"/api/events/{w.event.id}/", {field: value}, headers=w.h, expect_errors=True)
    assert "64" in _refused(r, 400, field)["message"] or "65536" in r.json["message"]


# --------------------------------------------------------------------------- failed database writes


def _access_lines(caplog):
    return [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "makeplus.access"]


def test_a_write_the_database_refuses_is_a_json_4xx_with_a_log_line(app, f, w, monkeypatch, caplog):
    """A validation gap (simulated: a service that writes without checking) reaches the
    database at flush/commit time. It used to end in DetachedInstanceError in the access
    log tween and a text/plain 500 without request id or log line."""
    from makeplus_core.rooms import services

    other = f.room(w.event, name="Other")

    def unchecked_update(db, room, data):  # no duplicate-name check, and a negative capacity
        room.name = data.get("name", room.name)
        if data.get("description") == "negative":
            room.capacity = -5

    monkeypatch.setattr(services, "update", unchecked_update)
    with caplog.at_level(logging.INFO):
        r = app.patch_json(f"/api/rooms/{w.room.id}/", {"name": other.name}, headers={**w.h, "X-Request-ID": "rq-1"},
                           expect_errors=True)
        assert r.status_int == 409 and r.content_type == "application/json", r.text
        assert r.json["error"] == "conflict" and r.headers["X-Request-ID"] == "rq-1"
        assert "SELECT" not in r.text and "UPDATE" not in r.text
        r = app.patch_json(f"/api/rooms/{w.room.id}/", {"description": "negative"},
                           headers={**w.h, "X-Request-ID": "rq-2"},
                           expect_errors=True)
        assert r.status_int == 400 and r.json["error"] == "validation_failed", r.text
        assert "capacity" in r.json["field"]
    lines = {x["request_id"]: x for x in _access_lines(caplog)}
    assert lines["rq-1"]["status"] == 409 and lines["rq-1"]["user_id"] == w.gest.id
    assert lines["rq-2"]["status"] == 400 and lines["rq-2"]["user_id"] == w.gest.id
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
    assert any("rq-1" in m for m in warnings) and any("rq-2" in m for m in warnings)


def test_a_database_fault_is_a_json_500_with_the_request_id(app, f, w, monkeypatch, caplog):
    from makeplus_core.rooms import services

    def failing_update(db, room, data):
        raise sa.exc.OperationalError("UPDATE rooms", {}, Exception("server closed the connection"))

    monkeypatch.setattr(services, "update", failing_update)
    with caplog.at_level(logging.INFO):
        r = app.patch_json(f"/api/rooms/{w.room.id}/", {"name": "X"}, headers=w.h, expect_errors=True)
    assert r.status_int == 500 and r.content_type == "application/json"
    rid = r.headers["X-Request-ID"]
    assert r.json == {"error": "server_error", "message": "Internal server error",
                      "detail": "Internal server error", "request_id": rid}
    errors = [rec for rec in caplog.records if rec.levelno == logging.ERROR and rid in rec.getMessage()]
    assert errors and errors[0].exc_info
    line = next(x for x in _access_lines(caplog) if x["request_id"] == rid)
    assert line["status"] == 500 and line["user_id"] == w.gest.id
