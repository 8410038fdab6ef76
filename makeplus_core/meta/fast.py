"""``GET /api/health/`` and anonymous ``GET /api/`` answered by a tween, before the
transaction, the router's view lookup, Cornice and the JSON renderer (issue 20: a liveness
probe and the capabilities must cost about what a hello-world costs).

The tween sits under the CORS tween (so the access log, the security headers, CORS and the
``Cache-Control`` / ``Vary`` subscriber apply as to every answer) and over everything else.
The answers are precomputed bytes:

* health: liveness. The database is not queried per request: a probe (one ``SELECT 1`` on
  its own connection, no transaction on PostgreSQL, a deferred one on SQLite) runs at most
  every ``makeplus.health.db_check_interval`` seconds (default 1) by whichever request comes
  first, the others answer its last result (``503`` while the database is unreachable).
  Readiness (``/api/health/ready/``, makeplus_core.readiness) still checks the database and
  Redis on every call.
* root: the capabilities computed at start-up; per host (the URLs in the answer), at most
  :data:`MAX_HOSTS` cached. A caller with a token or a web session gets the view
  (:func:`makeplus_core.meta.views.root_view`: it adds the caller's event and its modules).
"""
from __future__ import annotations

import json
import threading
import time

import sqlalchemy as sa
from pyramid.response import Response

from ..version import __version__
from ..web import COOKIE

HEALTH_PATH = "/api/health/"
ROOT_PATH = "/api/"
MAX_HOSTS = 32


class DatabaseProbe:
    """Whether the database answered, checked at most every ``interval`` seconds."""

    def __init__(self, engine: sa.Engine, interval: float):
        if engine.dialect.name == "sqlite":
            self.engine = engine.execution_options(makeplus_read_only=True)  # deferred BEGIN, no write lock
        else:
            self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.interval = interval
        self.ok = False
        self.checked_at = None
        self.lock = threading.Lock()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def state(self) -> bool:
        checked_at = self.checked_at
        if checked_at is not None and time.monotonic() - checked_at < self.interval:
            return self.ok
        # The first check of the process is waited for; later, one request checks while the
        # others answer the last result.
        if not self.lock.acquire(blocking=checked_at is None):
            return self.ok
        try:
            if self.checked_at is checked_at:
                self.ok = self.check()
                self.checked_at = time.monotonic()
        finally:
            self.lock.release()
        return self.ok


def probe(registry) -> DatabaseProbe:
    found = registry.makeplus.db_probe
    if found is None:
        interval = float(registry.settings.get("makeplus.health.db_check_interval", 1))
        found = registry.makeplus.db_probe = DatabaseProbe(registry.makeplus.db_engine, interval)
    return found


def health_body(registry, ok: bool) -> dict:
    return {"status": "ok" if ok else "error", "database": "ok" if ok else "unreachable",
            "version": __version__, "plugins": list(registry.makeplus.capabilities)}


def root_body(request) -> dict:
    return {
        "project_name": "MakePlus",
        "project_version": __version__,
        "url": request.route_url("root"),
        "documentation": request.application_url + "/api/docs/",
        "openapi": request.route_url("openapi"),
        "capabilities": request.registry.makeplus.capabilities,
    }


def _json(status: int, body: bytes) -> Response:
    return Response(status=status, body=body,
                    headerlist=[("Content-Type", "application/json"), ("Content-Length", str(len(body)))])


def answered_here(environ) -> bool:
    """Whether :func:`fast_answers_tween_factory` answers this request itself."""
    path = environ.get("PATH_INFO")
    if environ["REQUEST_METHOD"] != "GET":
        return False
    if path == HEALTH_PATH:
        return True
    return path == ROOT_PATH and "HTTP_AUTHORIZATION" not in environ and COOKIE not in environ.get("HTTP_COOKIE", "")


def retry_attempts(request) -> int | None:
    """pyramid_retry's ``retry.activate_hook``: one attempt for the answers of this module (no
    database, nothing to retry: no copy of the request body for a second attempt either); the
    configured number (``retry.attempts``) for everything else."""
    return 1 if answered_here(request.environ) else None


def fast_answers_tween_factory(handler, registry):
    db = probe(registry)
    health = {}  # ok -> bytes
    roots = {}  # application_url -> bytes

    def tween(request):
        environ = request.environ
        if not answered_here(environ):
            return handler(request)  # (``/api/`` with a token or a session cookie: the view adds the caller's event)
        if environ["PATH_INFO"] == HEALTH_PATH:
            ok = db.state()
            body = health.get(ok)
            if body is None:
                body = health[ok] = json.dumps(health_body(registry, ok)).encode()
            return _json(200 if ok else 503, body)
        host = (environ["wsgi.url_scheme"], environ.get("HTTP_HOST") or environ.get("SERVER_NAME"),
                environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME"))  # what request.application_url is built of
        body = roots.get(host)
        if body is None:
            body = json.dumps(root_body(request)).encode()
            if len(roots) < MAX_HOSTS:
                roots[host] = body
        return _json(200, body)

    return tween


def includeme(config):
    config.add_tween("makeplus_core.meta.fast.fast_answers_tween_factory",
                     under="makeplus_core.cors.cors_tween_factory",
                     over="makeplus_core.api.body.input_tween_factory")
