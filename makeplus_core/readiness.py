"""Readiness for a load balancer: ``GET /api/health/ready/``.

``/api/health/`` says the process is alive and reaches its database; readiness says
it should be sent traffic: the database answers, Redis answers (when
``makeplus.redis_url`` is set: rate limits, idempotency keys and the job queue live
there), and the process is not draining. It answers 200 ``{"status": "ready", …}``
or 503 with the failing part named.

Draining before a restart: when the file named by ``makeplus.drain_file`` exists,
every process answers 503 ``"draining"`` here while still serving requests, so the
load balancer takes the machine out of rotation; then the server is stopped with
SIGTERM, which lets in-flight requests finish (see docs/deploy.md).
"""
from __future__ import annotations

import logging
import os

import sqlalchemy as sa
from pyramid.security import NO_PERMISSION_REQUIRED

from . import api

log = logging.getLogger(__name__)

ready = api.service("health-ready", "/api/health/ready/",
                    "Readiness for a load balancer (database, Redis, not draining)")


def check(registry) -> tuple[bool, dict]:
    body = {"status": "ready", "database": "ok", "redis": "not configured"}
    ok = True
    drain_file = registry.settings.get("makeplus.drain_file")
    if drain_file and os.path.exists(drain_file):
        body["status"] = "draining"
        ok = False
    try:
        with registry.makeplus.db_engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", exc)
        body["database"] = "unreachable"
        ok = False
    client = getattr(registry.makeplus.kv, "client", None)
    if client is not None:
        try:
            client.ping()
            body["redis"] = "ok"
        except Exception as exc:  # redis.RedisError and socket errors alike
            log.warning("readiness: redis unreachable: %s", exc)
            body["redis"] = "unreachable"
            ok = False
    if not ok and body["status"] == "ready":
        body["status"] = "error"
    return ok, body


@ready.get(permission=NO_PERMISSION_REQUIRED)
def ready_view(request):
    ok, body = check(request.registry)
    if not ok:
        request.response.status = 503
        request.response.headers["Retry-After"] = "5"
    return body


def includeme(config):
    config.scan(__name__)
