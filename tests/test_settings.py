"""Configuration: environment overrides, production refuses default secrets."""
import pathlib

import pytest
from pyramid.paster import get_appsettings

import makeplus_core
from makeplus_core import apply_environment, check_settings, main
from makeplus_core.qr.signing import new_ed25519_seed

ROOT = pathlib.Path(makeplus_core.__file__).resolve().parent.parent
GOOD = "Hq3vN0_x7LrTz8KcWm2YbP5sDf9GjA4uE1oVhQ6iXnRk"  # secrets.token_urlsafe(33)


def prod_settings(monkeypatch, **env):
    for key in ("MAKEPLUS_DATABASE_URL", "MAKEPLUS_JWT_SECRET", "MAKEPLUS_REDIS_URL", "MAKEPLUS_PLUGINS",
                "MAKEPLUS_BADGE_ED25519_KEYS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return apply_environment(dict(get_appsettings(str(ROOT / "production.ini"), name="main")))


def test_production_refuses_missing_or_default_secret(monkeypatch):
    s = prod_settings(monkeypatch, MAKEPLUS_DATABASE_URL="sqlite://")
    with pytest.raises(RuntimeError, match="MAKEPLUS_JWT_SECRET"):
        check_settings(s)
    s = prod_settings(monkeypatch, MAKEPLUS_DATABASE_URL="sqlite://", MAKEPLUS_JWT_SECRET="change-me")
    with pytest.raises(RuntimeError, match="MAKEPLUS_JWT_SECRET"):
        check_settings(s)
    s = prod_settings(monkeypatch, MAKEPLUS_JWT_SECRET=GOOD)
    with pytest.raises(RuntimeError, match="database"):
        check_settings(s)


def test_production_reads_environment(monkeypatch):
    s = prod_settings(monkeypatch, MAKEPLUS_DATABASE_URL="sqlite:///x.db", MAKEPLUS_JWT_SECRET=GOOD)
    with pytest.raises(RuntimeError, match="MAKEPLUS_BADGE_ED25519_KEYS"):  # required since issue 17
        check_settings(s)
    s = prod_settings(monkeypatch, MAKEPLUS_DATABASE_URL="sqlite:///x.db", MAKEPLUS_JWT_SECRET=GOOD,
                      MAKEPLUS_BADGE_ED25519_KEYS=f"e1:{new_ed25519_seed()}")
    check_settings(s)
    assert s["sqlalchemy.url"] == "sqlite:///x.db"
    assert s["makeplus.jwt_secret"] == GOOD
    assert s["makeplus.badges.accept_plain_user_id"] == "false"


def test_env_overrides_development(monkeypatch, settings):
    monkeypatch.setenv("MAKEPLUS_JWT_SECRET", "from-env-" + "q" * 40)
    s = apply_environment(dict(get_appsettings(str(ROOT / "development.ini"), name="main")))
    assert s["makeplus.jwt_secret"] == "from-env-" + "q" * 40
    assert s["makeplus.badges.accept_plain_user_id"] == "true"


def test_missing_database_stops_startup(settings):
    with pytest.raises(RuntimeError):
        main({}, **{**settings, "sqlalchemy.url": ""})
