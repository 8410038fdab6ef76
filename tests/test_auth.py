"""Accounts and auth (seed "Authentication & Authorization", CLIENT_CONTRACT §Auth/§Profile)."""
import base64
import datetime as dt
import json

import jwt
import pytest
import sqlalchemy as sa

from makeplus_core.auth.models import AuthSession, User

PW = "makeplus2025"


def login(app, email, password=PW, status=200, path="/api/auth/login/"):
    return app.post_json(path, {"email": email, "password": password}, status=status)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(f):
    e1 = f.event(name="Tech Summit Algeria 2025")
    e2 = f.event(name="Startup Week Algeria 2025")
    e3 = f.event(name="Innovation Festival 2025")
    single = f.member(e1, "participant", email="single@example.org")
    multi = f.user(email="multi@example.org")
    f.assign(multi, e1, "participant")
    f.assign(multi, e2, "exposant")
    f.assign(multi, e3, "controlleur_des_badges")
    return {"events": (e1, e2, e3), "single": single, "multi": multi}


def test_register_creates_user_with_badge(app):
    r = app.post_json("/api/auth/register/", {"email": "New@Example.org", "password": "longenough1",
                                              "first_name": "Nadia", "last_name": "K"}, status=201)
    assert isinstance(r.json["id"], int)
    assert r.json["email"] == "new@example.org"
    badge = r.json["qr_code"]["badge_id"]
    assert badge.startswith(f"USER-{r.json['id']}-") and len(badge.split("-")[2]) == 8
    assert "password" not in json.dumps(r.json)
    dup = app.post_json("/api/auth/register/", {"email": "new@example.org", "password": "longenough1"}, status=409)
    assert dup.json["field"] == "email"
    bad = app.post_json("/api/auth/register/", {"email": "not-an-email", "password": "short"}, status=400)
    assert bad.json["field"] in ("email", "password")


def test_password_is_hashed_with_argon2(app, db):
    app.post_json("/api/auth/register/", {"email": "h@example.org", "password": "longenough1"}, status=201)
    user = db.scalar(sa.select(User).where(User.email == "h@example.org"))
    assert user.password_hash.startswith("$argon2id$")


def test_single_event_login_shape(app, world):
    for path in ("/api/auth/login/", "/api/auth/token/"):
        r = login(app, "single@example.org", path=path)
        d = r.json
        assert d["requires_event_selection"] is False
        assert d["access"] and d["refresh"]
        assert d["user"]["id"] == world["single"].id and isinstance(d["user"]["id"], int)
        assert d["role"] == "participant"
        assert d["event"]["id"] == str(world["events"][0].id)
        assert d["current_event"]["badge"]["badge_id"] == world["single"].badge_id
        qr = json.loads(d["current_event"]["badge"]["qr_code_data"])
        assert qr == {"user_id": world["single"].id, "badge_id": world["single"].badge_id}
        assert d["qr_code"]["user_id"] == world["single"].id
        assert d["qr_code"]["paid_items"] == []
        claims = jwt.decode(d["access"], options={"verify_signature": False})
        assert claims["event"] == str(world["events"][0].id) and claims["typ"] == "access"
        assert isinstance(claims["sub"], str)


def test_multi_event_login_and_select(app, world):
    d = login(app, "multi@example.org").json
    assert d["requires_event_selection"] is True
    assert "access" not in d and d["temp_token"]
    roles = {e["name"]: (e["role"], e["badge"]) for e in d["available_events"]}
    assert roles["Tech Summit Algeria 2025"][0] == "participant"
    assert roles["Startup Week Algeria 2025"][0] == "exposant"
    assert roles["Innovation Festival 2025"] == ("controlleur_des_badges", None)
    badges = {e["badge"]["badge_id"] for e in d["available_events"] if e["badge"]}
    assert badges == {world["multi"].badge_id}  # the same badge for every event
    # the temp token is good for nothing but select-event
    for method, path in [("get", "/api/auth/me/"), ("get", "/api/auth/my-events/"),
                         ("post", "/api/auth/switch-event/"),
                         ("get", "/api/auth/me/export/")]:
        r = getattr(app, method)(path, headers=bearer(d["temp_token"]), status=401)
        assert r.json["error"] == "not_authenticated"
    second = str(world["events"][1].id)
    s = app.post_json("/api/auth/select-event/", {"event_id": second}, headers=bearer(d["temp_token"])).json
    assert s["event"]["id"] == second and s["role"] == "exposant" and s["access"] and s["refresh"]
    me = app.get("/api/auth/me/", headers=bearer(s["access"])).json
    assert me["event"]["id"] == second and me["role"] == "exposant"
    # each login issues a fresh temp token
    d2 = login(app, "multi@example.org").json
    assert d2["temp_token"] != d["temp_token"]


def test_select_event_refuses_foreign_event(app, world, f):
    other = f.event(name="Other")
    d = login(app, "multi@example.org").json
    app.post_json("/api/auth/select-event/", {"event_id": str(other.id)}, headers=bearer(d["temp_token"]),
                  status=404)
    app.post_json("/api/auth/select-event/", {"event_id": "nope"}, headers=bearer(d["temp_token"]), status=400)


def test_switch_event_and_my_events(app, world, f):
    e1, e2, e3 = world["events"]
    headers = f.auth(world["multi"], e1)
    events = app.get("/api/auth/my-events/", headers=headers).json
    assert events["count"] == 3
    s = app.post_json("/api/auth/switch-event/", {"event_id": str(e3.id)}, headers=headers).json
    assert s["role"] == "controlleur_des_badges"
    # the previous session is closed by the switch
    app.get("/api/auth/me/", headers=headers, status=401)
    app.get("/api/auth/me/", headers=bearer(s["access"]), status=200)


def test_bad_credentials_same_401(app, world):
    unknown = login(app, "nobody@example.org", status=401).json
    wrong = login(app, "single@example.org", password="wrong-password", status=401).json
    assert unknown == wrong and unknown["message"]


def test_inactive_user_cannot_login(app, world, db):
    db.execute(sa.update(User).where(User.id == world["single"].id).values(is_active=False))
    db.commit()
    login(app, "single@example.org", status=401)


def test_bearer_problems_are_401(app, world, settings):
    good = login(app, "single@example.org").json["access"]
    claims = jwt.decode(good, options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)},
                         settings["makeplus.jwt_secret"], algorithm="HS256")
    tampered = jwt.encode({**claims, "sub": "999"}, "another-secret-" + "y" * 40, algorithm="HS256")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    alg_none = f"{header}.{payload}."
    for token in (expired, tampered, alg_none, "garbage", good + "x"):
        r = app.get("/api/auth/me/", headers=bearer(token), status=401)
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json["error"] == "not_authenticated"
    app.get("/api/auth/me/", status=401)
    app.get("/api/auth/me/", headers={"Authorization": "Basic abc"}, status=401)
    app.get("/api/auth/me/", headers=bearer(good), status=200)


def test_refresh_rotation_and_logout(app, world):
    d = login(app, "single@example.org").json
    for path in ("/api/token/refresh/", "/api/auth/token/refresh/"):
        r = app.post_json(path, {"refresh": d["refresh"]}).json
        assert r["access"] and r["refresh"]
        d = {**d, **r}
    # logout revokes the refresh token (and the session's access tokens)
    app.post_json("/api/auth/logout/", {"refresh_token": d["refresh"]}, headers=bearer(d["access"]))
    app.post_json("/api/token/refresh/", {"refresh": d["refresh"]}, status=401)
    app.get("/api/auth/me/", headers=bearer(d["access"]), status=401)


def test_logout_without_body(app, world):
    d = login(app, "single@example.org").json
    app.post("/api/auth/logout/", headers=bearer(d["access"]), status=200)
    app.post_json("/api/auth/token/refresh/", {"refresh": d["refresh"]}, status=401)


def test_rotated_refresh_token_reuse_revokes_session(app, world, db):
    d = login(app, "single@example.org").json
    new = app.post_json("/api/token/refresh/", {"refresh": d["refresh"]}).json
    app.post_json("/api/token/refresh/", {"refresh": d["refresh"]}, status=401)  # reuse
    # the whole family is revoked, including the newest tokens
    app.post_json("/api/token/refresh/", {"refresh": new["refresh"]}, status=401)
    app.get("/api/auth/me/", headers=bearer(new["access"]), status=401)
    assert db.scalar(sa.select(sa.func.count()).select_from(AuthSession)
                     .where(AuthSession.revoked_at.is_not(None))) == 1


def test_access_token_is_not_a_refresh_token(app, world):
    d = login(app, "single@example.org").json
    app.post_json("/api/token/refresh/", {"refresh": d["access"]}, status=401)
    app.get("/api/auth/me/", headers=bearer(d["refresh"]), status=401)


def test_profile_get_patch_and_aliases(app, world, f):
    e1 = world["events"][0]
    headers = f.auth(world["single"], e1)
    for path in ("/api/auth/me/", "/api/auth/profile/"):
        me = app.get(path, headers=headers).json
        assert me["id"] == world["single"].id and me["email"] == "single@example.org"
        assert me["qr_code"]["badge_id"] == world["single"].badge_id
        assert isinstance(me["participant"]["qr_code_data"], dict)
        assert me["event"]["id"] == str(e1.id)
    r = app.patch_json("/api/auth/me/", {"first_name": "Amel", "last_name": "B"}, headers=headers).json
    assert r["first_name"] == "Amel"
    # no mass assignment
    for field, value in (("is_staff", True), ("email", "x@y.z"), ("role", "gestionnaire_des_salles")):
        bad = app.patch_json("/api/auth/me/", {field: value}, headers=headers, status=400).json
        assert bad["field"] == field
    app.patch_json("/api/auth/me/", {"first_name": "x" * 151}, headers=headers, status=400)


def test_change_password(app, world, f):
    d = login(app, "single@example.org").json
    h = bearer(d["access"])
    app.post_json("/api/auth/change-password/", {"old_password": "wrong", "new_password": "brand-new-pass"},
                  headers=h, status=400)
    r = app.post_json("/api/auth/change-password/", {"old_password": PW, "new_password": "brand-new-pass"},
                      headers=h)
    login(app, "single@example.org", status=401)
    login(app, "single@example.org", password="brand-new-pass")
    app.get("/api/auth/me/", headers=h, status=401)  # every token issued before is void ...
    app.get("/api/auth/me/", headers=bearer(r.json["access"]), status=200)  # ... the session goes on
    app.post_json("/api/auth/token/refresh/", {"refresh": r.json["refresh"]}, status=200)


def test_password_reset_by_mail(app, world):
    mailer = app.app.registry.makeplus.mailer
    mailer.outbox.clear()
    for email in ("single@example.org", "unknown@example.org"):
        r = app.post_json("/api/auth/password-reset/", {"email": email})
        assert "If an account exists" in r.json["message"]  # never reveals existence
    assert len(mailer.outbox) == 1
    body = mailer.outbox[0].body
    code = body.split("deux heures :\n\n")[1]  # the mail is French by default
    code = code.split("\n")[0].strip()
    app.post_json("/api/auth/password-reset/confirm/", {"token": "bad", "new_password": "reset-pass-123"},
                  status=400)
    app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "reset-pass-123"})
    login(app, "single@example.org", password="reset-pass-123")
    # single use
    app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "again-pass-123"}, status=400)


def test_delete_account(app, world, f, db):
    headers = f.auth(world["single"], world["events"][0])
    app.delete_json("/api/auth/me/", {"password": "wrong"}, headers=headers, status=400)
    app.delete_json("/api/auth/me/", {"password": PW}, headers=headers, status=204)
    db.expire_all()
    assert db.scalar(sa.select(User).where(User.email == "single@example.org")) is None
    login(app, "single@example.org", status=401)


def test_export_my_data(app, world, f):
    headers = f.auth(world["multi"], world["events"][0])
    data = app.get("/api/auth/me/export/", headers=headers).json
    assert data["user"]["email"] == "multi@example.org"
    assert {e["role"] for e in data["events"]} == {"participant", "exposant", "controlleur_des_badges"}
    assert "password_hash" not in json.dumps(data)


def test_removed_assignment_invalidates_event_token(app, world, f, db):
    from makeplus_core.events.models import UserEventAssignment

    headers = f.auth(world["single"], world["events"][0])
    app.get("/api/auth/me/", headers=headers, status=200)
    db.execute(sa.update(UserEventAssignment).where(UserEventAssignment.user_id == world["single"].id)
               .values(is_active=False))
    db.commit()
    app.get("/api/auth/me/", headers=headers, status=401)


@pytest.mark.plugin("annonces")
def test_user_without_event_gets_tokens_without_event(app, f):
    f.user(email="lonely@example.org")
    d = login(app, "lonely@example.org").json
    assert d["event"] is None and d["access"]
    app.get("/api/annonces/", headers=bearer(d["access"]), status=403)
