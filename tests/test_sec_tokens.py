"""Issue 14, "Tokens and secrets": production secrets, the server-side temporary token,
reset codes and sessions ended on password change, login throttling per address and per
account, forwarded addresses trusted only from configured proxies (docs/security.md)."""
import concurrent.futures
import datetime as dt
import pathlib
import secrets
import threading
import uuid

import jwt
import pytest
import sqlalchemy as sa
import webtest

import makeplus_core
from makeplus_core import main, secret_policy
from makeplus_core.auth.models import AuthSession
from makeplus_core.db import utcnow
from makeplus_core.qr.signing import new_ed25519_seed
from makeplus_core.testing import PASSWORD

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(app, email, password=PASSWORD, status=200, **kw):
    return app.post_json("/api/auth/token/", {"email": email, "password": password}, status=status, **kw)


LIMITED = {"makeplus.ratelimit.enabled": "true", "makeplus.ratelimit.login": "3/60",
           "makeplus.ratelimit.login_account": "3/900", "makeplus.trusted_proxies": "10.9.0.0/16 127.0.0.1"}


@pytest.fixture
def lim(make_app, app):
    """One app with rate limits on, shared by these tests (few database connections): its
    memory store lives on, so every test uses its own accounts and addresses (:func:`fresh`)."""
    return make_app(**LIMITED)


def fresh(kind="email"):
    """An e-mail or client address no other test uses."""
    n = uuid.uuid4()
    if kind == "email":
        return f"u{n.hex[:12]}@example.org"
    return f"100.{n.bytes[0] % 64 + 64}.{n.bytes[1]}.{n.bytes[2] % 250 + 1}"


# --------------------------------------------------------------------------- production secrets


def prod(settings, **overrides):
    return {**settings, "makeplus.env": "production", **overrides}


def good_secret():
    return secrets.token_urlsafe(48)


@pytest.mark.parametrize("secret, why", [
    ("dev-only-secret-not-for-production-use-0123456789", "default value"),  # development.ini's
    ("change-me-" + "Qx7Lm2Rt9Vb4Nc8Zp3Kd6Wf1", "placeholder"),
    ("z" * 64, "low entropy"),
    ("Ab3" * 16, "low entropy"),
    ("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "low entropy"),
    (secrets.token_urlsafe(23), "too short"),  # 31 bytes
])
def test_production_refuses_weak_jwt_secret(settings, engine, secret, why):
    with pytest.raises(RuntimeError) as exc:
        main({}, **prod(settings, **{"makeplus.jwt_secret": secret}))
    message = str(exc.value)
    assert why in message and "makeplus.jwt_secret" in message
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in message


def test_production_refuses_the_env_default_of_a_shipped_ini(settings, engine, monkeypatch, tmp_path):
    # production.ini-style "env:NAME|default": when NAME is unset the shipped default is used, and refused
    monkeypatch.delenv("MAKEPLUS_JWT_SECRET", raising=False)
    monkeypatch.delenv("MP_TEST_UNSET_SECRET", raising=False)
    dev_default = "dev-only-secret-not-for-production-use-0123456789"
    with pytest.raises(RuntimeError, match="default value"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": f"env:MP_TEST_UNSET_SECRET|{dev_default}"}))
    # a secret shipped as an env default in an INI file is found there
    shipped = tmp_path / "production.ini"
    ini_default = secrets.token_urlsafe(48)
    shipped.write_text(f"[app:main]\nmakeplus.jwt_secret = env:MAKEPLUS_JWT_SECRET|{ini_default}\n"
                       f"makeplus.badges.signing_keys = env:X|k1:{ini_default}x\n")
    assert secret_policy.shipped_ini_secrets(tmp_path) == {ini_default, ini_default + "x"}
    with pytest.raises(RuntimeError, match="default value"):
        secret_policy.check_production_secrets({"makeplus.jwt_secret": ini_default}, root=tmp_path)


def test_shipped_ini_secrets_are_all_known():
    """An install without the INI files still refuses their secrets (the list is in step)."""
    found = secret_policy.shipped_ini_secrets(ROOT)
    assert "dev-only-secret-not-for-production-use-0123456789" in found
    assert found <= secret_policy.KNOWN_SECRETS


def test_production_refuses_weak_badge_and_session_secrets(settings, engine):
    jwt_secret = good_secret()
    with pytest.raises(RuntimeError, match=r"signing_keys \(key 'k1'\).*low entropy"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": jwt_secret,
                                     "makeplus.badges.signing_keys": f"k0:{good_secret()} k1:{'ab' * 20}"}))
    with pytest.raises(RuntimeError, match="signing_keys.*too short"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": jwt_secret, "makeplus.badges.signing_keys": "k0:x"}))
    with pytest.raises(RuntimeError, match="session_secret.*placeholder"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": jwt_secret,
                                     "makeplus.session_secret": "secret-" + good_secret()}))


def test_production_refuses_a_missing_ed25519_badge_key(settings, engine):
    """Production never derives nor generates the badge key (issue 17): it must be configured."""
    with pytest.raises(RuntimeError, match=r"ed25519_keys \(MAKEPLUS_BADGE_ED25519_KEYS\) is not set"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": good_secret()}))
    with pytest.raises(ValueError, match="not the base64url of 32 bytes"):
        main({}, **prod(settings, **{"makeplus.jwt_secret": good_secret(),
                                     "makeplus.badges.ed25519_keys": f"e1:{good_secret()}"}))


def test_production_starts_with_generated_secrets(settings, engine):
    app = main({}, **prod(settings, **{"makeplus.jwt_secret": good_secret(),
                                       "makeplus.badges.ed25519_keys": f"e1:{new_ed25519_seed()}",
                                       "makeplus.badges.signing_keys": f"k1:{good_secret()}",
                                       "makeplus.session_secret": secrets.token_hex(32)}))
    assert app.registry.settings["makeplus.env"] == "production"
    app.registry.makeplus.db_engine.dispose()


# --------------------------------------------------------------------------- the temporary token


@pytest.fixture
def multi(f):
    e1, e2 = f.event(name="One"), f.event(name="Two")
    user = f.user(email="multi@example.org")
    f.assign(user, e1, "participant")
    f.assign(user, e2, "exposant")
    return user, e1, e2


def temp_token(app):
    d = login(app, "multi@example.org").json
    assert d["requires_event_selection"] is True
    return d["temp_token"]


def select(app, token, event, status=200):
    return app.post_json("/api/auth/select-event/", {"event_id": str(event.id)}, headers=bearer(token),
                         status=status)


def test_temp_token_is_single_use(app, multi):
    user, e1, e2 = multi
    token = temp_token(app)
    s = select(app, token, e1).json
    assert s["event"]["id"] == str(e1.id) and s["access"] and s["refresh"]  # the contract's shape
    r = select(app, token, e2, status=401)
    assert r.json["error"] == "not_authenticated" and r.headers["WWW-Authenticate"].startswith("Bearer")
    app.get("/api/auth/me/", headers=bearer(s["access"]), status=200)  # the session it opened lives on


def test_temp_token_minted_with_the_secret_alone_is_refused(app, multi, settings):
    user, e1, _ = multi
    secret = settings["makeplus.jwt_secret"]
    now = dt.datetime.now(dt.UTC)
    base = {"sub": str(user.id), "typ": "select", "tv": user.token_version, "iat": now,
            "exp": now + dt.timedelta(minutes=5)}
    for claims in (base, {**base, "sid": str(uuid.uuid4())}, {**base, "nonce": "abcd"}):
        forged = jwt.encode(claims, secret, algorithm="HS256")
        select(app, forged, e1, status=401)


def test_temp_token_record_is_short_lived(app, multi, db):
    _, e1, _ = multi
    token = temp_token(app)
    sid = uuid.UUID(jwt.decode(token, options={"verify_signature": False})["sid"])
    record = db.get(AuthSession, sid)
    assert record.kind == "select" and record.expires_at <= utcnow() + dt.timedelta(minutes=10)
    record.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.commit()
    select(app, token, e1, status=401)  # the JWT itself has not expired yet


def test_temp_token_revoked_by_logout(app, multi):
    _, e1, _ = multi
    token = temp_token(app)
    app.post_json("/api/auth/logout/", {}, headers=bearer(token), status=200)  # the selection screen's logout
    select(app, token, e1, status=401)
    # logging out of another session also ends the logins in progress
    pending = temp_token(app)
    other = select(app, temp_token(app), e1).json
    app.post("/api/auth/logout/", headers=bearer(other["access"]), status=200)
    select(app, pending, e1, status=401)


def test_temp_token_revoked_by_password_change_and_reset(app, multi):
    _, e1, _ = multi
    pending = temp_token(app)
    s = select(app, temp_token(app), e1).json
    app.post_json("/api/auth/change-password/", {"old_password": PASSWORD, "new_password": "new-pass-1234"},
                  headers=bearer(s["access"]))
    select(app, pending, e1, status=401)
    pending = temp_token_with(app, "new-pass-1234")
    code = reset_code(app, "multi@example.org")
    app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "reset-pass-123"})
    select(app, pending, e1, status=401)


def temp_token_with(app, password):
    return login(app, "multi@example.org", password=password).json["temp_token"]


def live_api_sessions(db, user):
    return db.scalar(sa.select(sa.func.count()).select_from(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.kind == "api", AuthSession.revoked_at.is_(None)))


def test_temp_token_second_use_opens_no_session(app, multi, db):
    user, e1, e2 = multi
    token = temp_token(app)
    results = [select(app, token, e, status="*").status_int for e in (e1, e2)]
    assert results == [200, 401]
    assert live_api_sessions(db, user) == 1


def test_temp_token_parallel_uses_open_one_session(app, multi, db, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (real parallel writers)")
    user, e1, e2 = multi
    token = temp_token(app)
    barrier = threading.Barrier(6)

    def one(i):
        client = webtest.TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        barrier.wait()
        return select(client, token, (e1, e2)[i % 2], status="*").status_int

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(one, range(6)))
    assert statuses == [200] + [401] * 5
    assert live_api_sessions(db, user) == 1


# --------------------------------------------------------------------------- reset codes and sessions


def reset_code(app, email):
    mailer = app.app.registry.makeplus.mailer
    mailer.outbox.clear()
    app.post_json("/api/auth/password-reset/", {"email": email})
    body = mailer.outbox[-1].body
    code = body.split("deux heures :\n\n")[1]  # the mail is French by default
    return code.split("\n")[0].strip()


def test_using_one_reset_code_voids_the_others(app, f):
    f.user(email="r@example.org")
    first, second, third = (reset_code(app, "r@example.org") for _ in range(3))
    app.post_json("/api/auth/password-reset/confirm/", {"token": second, "new_password": "reset-pass-123"})
    for code in (first, third):
        r = app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "other-pass-123"},
                          status=400)
        assert r.json["field"] == "token"
    login(app, "r@example.org", password="reset-pass-123")


def test_password_change_voids_outstanding_reset_codes(app, f):
    f.user(email="r@example.org")
    code = reset_code(app, "r@example.org")
    s = login(app, "r@example.org").json
    app.post_json("/api/auth/change-password/", {"old_password": PASSWORD, "new_password": "new-pass-1234"},
                  headers=bearer(s["access"]))
    app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "reset-pass-123"},
                  status=400)


def test_reset_ends_every_session(app, f):
    f.user(email="r@example.org")
    one, two = login(app, "r@example.org").json, login(app, "r@example.org").json
    code = reset_code(app, "r@example.org")
    app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "reset-pass-123"})
    for s in (one, two):
        app.get("/api/auth/me/", headers=bearer(s["access"]), status=401)
        app.post_json("/api/auth/token/refresh/", {"refresh": s["refresh"]}, status=401)


def dashboard_enabled(app):
    return "dashboard" in app.app.registry.settings.get("makeplus.plugins", "").split()


def dashboard_login(app, email, password=PASSWORD):
    page = app.get("/dashboard/login/")
    form = [fm for fm in page.forms.values() if "password" in fm.fields][0]
    form["email"], form["password"] = email, password
    return form.submit(status=302)


@pytest.mark.parametrize("how", ["change", "reset"])
def test_password_change_or_reset_ends_dashboard_cookie_sessions(app, f, how):
    if not dashboard_enabled(app):
        pytest.skip("dashboard plugin not enabled")
    f.user(email="admin@example.org", is_admin=True)
    app.reset()
    dashboard_login(app, "admin@example.org")
    app.get("/dashboard/", status=200)
    cookies = dict(app.cookies)
    if how == "change":
        s = login(app, "admin@example.org").json
        r = app.post_json("/api/auth/change-password/", {"old_password": PASSWORD, "new_password": "new-pass-1234"},
                          headers=bearer(s["access"]))
        app.get("/api/auth/me/", headers=bearer(r.json["access"]), status=200)  # the caller goes on
    else:
        code = reset_code(app, "admin@example.org")
        app.post_json("/api/auth/password-reset/confirm/", {"token": code, "new_password": "reset-pass-123"})
    app.reset()
    for name, value in cookies.items():
        app.set_cookie(name, value)  # the page session's cookie, as the browser still holds it
    r = app.get("/dashboard/", status=302)
    assert "/dashboard/login/" in r.location
    app.reset()


def test_reset_mail_links_to_a_working_page(app, f):
    f.user(email="r@example.org")
    code = reset_code(app, "r@example.org")
    body = app.app.registry.makeplus.mailer.outbox[-1].body
    link = [w for w in body.split() if "://" in w][0]
    assert "/account/password-reset/?token=" in link
    page = app.get(link[link.index("/account/"):])
    assert page.content_type == "text/html" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "Nouveau mot de passe" in page.text and '<html lang="fr">' in page.text  # French by default
    assert "New password" in app.get(link[link.index("/account/"):] + "&lang=en").text  # English on request
    form = page.forms["reset-form"]
    assert form["token"].value == code
    # a mismatch and a short password re-show the form, naming the field; the code is not used up
    form["new_password"], form["new_password_confirm"] = "reset-pass-123", "reset-pass-124"
    r = form.submit(status=400)
    assert 'data-field="new_password_confirm"' in r.text
    form = r.forms["reset-form"]
    form["new_password"] = form["new_password_confirm"] = "short"
    r = form.submit(status=400)
    assert 'data-field="new_password"' in r.text
    form = r.forms["reset-form"]
    form["new_password"] = form["new_password_confirm"] = "reset-pass-123"
    done = form.submit(status=200)
    assert "reset-form" not in done.text and "password has been changed" in done.text
    login(app, "r@example.org", password="reset-pass-123")
    again = app.post("/account/password-reset/", {"token": code, "new_password": "x-pass-12345",
                                                  "new_password_confirm": "x-pass-12345"}, status=400)
    assert 'data-field="token"' in again.text
    # the page without a code asks for it; the old API link sends browsers to the page
    assert 'name="token"' in app.get("/account/password-reset/").text
    r = app.get(f"/api/auth/password-reset/confirm/?token={code}", status=303)
    assert r.location.endswith(f"/account/password-reset/?token={code}")


# --------------------------------------------------------------------------- login throttling


def test_login_throttled_per_account_across_addresses(lim, f):
    victim, bystander, nobody = fresh(), fresh(), fresh()
    f.user(email=victim)
    f.user(email=bystander)
    for _ in range(3):
        login(lim, victim, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    r = login(lim, victim.upper(), status=429, extra_environ={"REMOTE_ADDR": fresh("ip")})
    assert r.json["error"] == "rate_limited" and r.json["field"] == "email" and r.json["message"]
    assert 1 <= int(r.headers["Retry-After"]) <= 900
    login(lim, bystander, extra_environ={"REMOTE_ADDR": fresh("ip")})  # other accounts are unaffected
    # unknown accounts are throttled the same way (no enumeration)
    for _ in range(3):
        login(lim, nobody, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    login(lim, nobody, "wrong-pass", status=429, extra_environ={"REMOTE_ADDR": fresh("ip")})


def test_default_account_limit_is_ten_per_15_minutes(make_app, app):
    limiter = make_app().app.registry.makeplus.rate_limiter
    assert limiter.limits["login_account"] == (10, 900)


def test_successful_login_clears_the_account_count(lim, f):
    user = fresh()
    f.user(email=user)
    for _ in range(2):
        login(lim, user, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    login(lim, user, extra_environ={"REMOTE_ADDR": fresh("ip")})
    for _ in range(3):
        login(lim, user, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    login(lim, user, status=429, extra_environ={"REMOTE_ADDR": fresh("ip")})


def test_dashboard_login_shares_the_account_count(lim, f, app):
    if not dashboard_enabled(app):
        pytest.skip("dashboard plugin not enabled")
    admin = fresh()
    f.user(email=admin, is_admin=True)
    for _ in range(3):
        login(lim, admin, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    env = {"REMOTE_ADDR": fresh("ip")}
    page = lim.get("/dashboard/login/", extra_environ=env)
    form = [fm for fm in page.forms.values() if "password" in fm.fields][0]
    form["email"], form["password"] = admin, PASSWORD
    r = form.submit(status=429, extra_environ=env)
    assert r.headers["Retry-After"]
    lim.reset()


def test_rotating_x_forwarded_for_does_not_reset_the_address_limit(lim):
    env = {"REMOTE_ADDR": fresh("ip")}  # not one of our proxies
    for i in range(3):
        login(lim, fresh(), "wrong-pass", status=401, extra_environ=env,
              headers={"X-Forwarded-For": f"203.0.113.{i}"})
    r = login(lim, fresh(), "wrong-pass", status=429, extra_environ=env,
              headers={"X-Forwarded-For": "203.0.113.99", "Forwarded": "for=192.0.2.60"})
    assert r.json["error"] == "rate_limited"


def test_forwarded_addresses_trusted_only_from_configured_proxies(lim, f, db):
    proxy = {"REMOTE_ADDR": "10.9.0.5"}
    client = fresh("ip")
    # a client behind two of our proxies, prepending forged hops that change every time
    for i in range(3):
        login(lim, fresh(), "wrong-pass", status=401, extra_environ=proxy,
              headers={"X-Forwarded-For": f"1.2.3.{i}, {client}, 10.9.0.7"})
    login(lim, fresh(), "wrong-pass", status=429, extra_environ=proxy,
          headers={"X-Forwarded-For": f"9.9.9.9, {client}, 10.9.0.7"})
    # another client behind the same proxies has its own count (RFC 7239 Forwarded works too)
    user, other = fresh(), fresh("ip")
    f.user(email=user)
    login(lim, user, extra_environ=proxy, headers={"Forwarded": f'for="{other}";proto=https'})
    latest = sa.select(AuthSession.ip_address).order_by(AuthSession.created_at.desc()).limit(1)
    assert db.scalar(latest) == other
    # a client that is not one of our proxies cannot choose its address
    direct = fresh("ip")
    login(lim, user, extra_environ={"REMOTE_ADDR": direct}, headers={"X-Forwarded-For": other})
    db.rollback()
    assert db.scalar(latest) == direct


def test_bad_trusted_proxies_setting_stops_startup(settings, engine):
    with pytest.raises(RuntimeError, match="trusted_proxies"):
        main({}, **{**settings, "makeplus.trusted_proxies": "10.0.0.0/8 not-an-ip"})


@pytest.fixture
def redis_prefix():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"mp-test-sectokens-{uuid.uuid4().hex}:"
    yield prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


def test_account_throttle_is_shared_through_redis(make_app, f, app, redis_prefix):
    """Two app instances (two processes' worth of state) count one account together."""
    shared = {**LIMITED, "makeplus.redis_url": REDIS_URL, "makeplus.redis_prefix": redis_prefix,
              "makeplus.ratelimit.login_account": "4/900"}
    one, two = make_app(**shared), make_app(**shared, **{"makeplus.test_process": "2"})
    assert one.app is not two.app
    victim = fresh()
    f.user(email=victim)
    for _ in range(2):
        login(one, victim, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
        login(two, victim, "wrong-pass", status=401, extra_environ={"REMOTE_ADDR": fresh("ip")})
    login(one, victim, status=429, extra_environ={"REMOTE_ADDR": fresh("ip")})
    login(two, victim, status=429, extra_environ={"REMOTE_ADDR": fresh("ip")})
    for a in (one, two):  # these apps are not reused: give their connections back
        a.app.registry.makeplus.db_engine.dispose()


def test_scheme_and_host_from_trusted_proxies_only(lim):
    """Whatever the WSGI server (granian applies no forwarded headers), a trusted proxy's
    X-Forwarded-Proto / X-Forwarded-Host give the URLs the app builds; anyone else's are ignored."""
    forwarded = {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "events.example.org"}
    url = lim.get("/api/", headers=forwarded, extra_environ={"REMOTE_ADDR": "10.9.1.1"}).json["url"]
    assert url == "https://events.example.org/api/"
    url = lim.get("/api/", headers=forwarded, extra_environ={"REMOTE_ADDR": "192.0.2.5"}).json["url"]
    assert url == "http://localhost/api/"
    bad = {"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil.example/phish"}
    url = lim.get("/api/", headers=bad, extra_environ={"REMOTE_ADDR": "10.9.1.1"}).json["url"]
    assert url == "http://localhost/api/"
