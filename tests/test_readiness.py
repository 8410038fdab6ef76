"""Readiness for a load balancer: GET /api/health/ready/ (database, Redis, drain file)."""
from __future__ import annotations


def test_ready_without_redis(app):
    r = app.get("/api/health/ready/")
    assert r.json == {"status": "ready", "database": "ok", "redis": "not configured"}


def test_drain_file_makes_it_unready_but_still_serving(make_app, tmp_path):
    drain = tmp_path / "drain"
    app = make_app(**{"makeplus.drain_file": str(drain)})
    assert app.get("/api/health/ready/").json["status"] == "ready"
    drain.touch()
    r = app.get("/api/health/ready/", status=503)
    assert r.json["status"] == "draining" and r.headers["Retry-After"] == "5"
    assert app.get("/api/health/").json["status"] == "ok"
    drain.unlink()
    assert app.get("/api/health/ready/").json["status"] == "ready"


def test_unreachable_redis_is_not_ready(make_app):
    app = make_app(**{"makeplus.redis_url": "redis://127.0.0.1:1/0?socket_connect_timeout=0.5"})
    r = app.get("/api/health/ready/", status=503)
    assert r.json == {"status": "error", "database": "ok", "redis": "unreachable"}
