"""Background jobs: work that must not hold up a request (mails, large exports …).

A job is a plain function registered by name with :func:`job`; it receives a
:class:`JobContext` (settings, mailer, key-value store, a database session factory)
and JSON-able keyword arguments. A request enqueues it with :func:`enqueue`, which
hands it over **after its transaction commits** (nothing is sent for a request that
rolled back). ``makeplus.jobs.backend`` chooses who runs it:

- ``inline`` (the default; development, tests, ``make run``): in the same process,
  right after the commit. No extra command is needed.
- ``rq`` (production): pushed onto the ``makeplus.jobs.queue`` queue (default
  ``makeplus``) in the Redis of ``makeplus.redis_url``, and run by ``makeplus-worker
  <ini>`` processes. A failed job is retried ``makeplus.jobs.retries`` times (default
  5) with growing delays (``makeplus.jobs.backoff``, seconds, default
  ``10 30 120 600 1800``).

Why RQ: it needs nothing but the Redis we already run and the ``redis`` client we
already use, its jobs are plain importable functions, it retries with per-attempt
intervals, and its worker is one small command. Celery brings a large dependency and
configuration surface we would not use; Dramatiq would do, but adds its own actor
model and middleware stack for no gain at our size.

Every job carries a key and runs **at most once to completion per key**: a ``done``
marker in the key-value store is written when it finishes (kept
``makeplus.jobs.done_ttl`` seconds, default 7 days) and a retried or duplicated
delivery with the same key returns without doing the work again; a lock stops two
workers running the same key at once (the second retries later).
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from collections.abc import Callable

from .db import get_engine, get_session_factory
from .kv import make_store
from .mailers import make_mailer

log = logging.getLogger(__name__)

JOBS: dict[str, Callable] = {}
# Core modules that define jobs (a worker imports them; plugins' modules are imported
# when the worker loads the enabled plugins).
CORE_JOB_MODULES = ("makeplus_core.mail", "makeplus_core.exports.services")
DEFAULT_BACKOFF = (10, 30, 120, 600, 1800)
LOCK_TTL = 600


def job(name: str):
    """Register ``fn(ctx, **payload)`` as the job ``name``."""

    def register(fn):
        JOBS[name] = fn
        return fn

    return register


class JobBusy(RuntimeError):
    """Another worker is running the same job key: retried later."""


class JobContext:
    """What a job may use. In the web process it wraps the app's registry; in a
    ``makeplus-worker`` it is built from the INI, and its database engine is only
    created on first use (so in the process that runs the job, never before a fork)."""

    def __init__(self, settings: dict, mailer=None, kv_store=None, engine=None):
        self.settings = settings
        self._mailer = mailer
        self._kv_store = kv_store
        self._session_factory = None
        if engine is not None:
            self._session_factory = get_session_factory(engine)

    @property
    def mailer(self):
        if self._mailer is None:
            self._mailer = make_mailer(self.settings)
        return self._mailer

    @property
    def kv_store(self):
        if self._kv_store is None:
            self._kv_store = make_store(self.settings)
        return self._kv_store

    def dbsession(self):
        """A new ORM session (the caller commits and closes it)."""
        if self._session_factory is None:
            engine = get_engine(self.settings, immediate=False)
            self._session_factory = get_session_factory(engine)
        return self._session_factory()


def perform(ctx: JobContext, name: str, payload: dict, key: str) -> str:
    """Run job ``name`` once for ``key``; ``"done"`` or ``"skipped"`` (already done)."""
    store = ctx.kv_store
    done_key, lock_key = f"job-done:{key}", f"job-lock:{key}"
    if store.read(done_key) is not None:
        log.info("job %s %s already done", name, key)
        return "skipped"
    if not store.set_nx(lock_key, "1", LOCK_TTL):
        raise JobBusy(f"job {name} {key} is running elsewhere")
    try:
        if store.read(done_key) is not None:
            return "skipped"
        JOBS[name](ctx, **payload)
        store.write(done_key, "1", int(ctx.settings.get("makeplus.jobs.done_ttl", 7 * 24 * 3600)))
    finally:
        store.delete(lock_key)
    return "done"


class InlineQueue:
    """Runs each job in this process right after the commit (development, tests)."""

    name = "inline"

    def __init__(self, ctx: JobContext):
        self.ctx = ctx

    def submit(self, name: str, payload: dict, key: str) -> None:
        try:
            perform(self.ctx, name, payload, key)
        except Exception:  # the request has committed: log, never turn it into an error
            log.exception("inline job %s %s failed", name, key)


class RQQueue:
    """Pushes each job onto an RQ queue in Redis, run by ``makeplus-worker``."""

    name = "rq"

    def __init__(self, settings: dict):
        import redis
        from rq import Queue

        self.settings = settings
        self.connection = redis.Redis.from_url(settings["makeplus.redis_url"])
        self.queue = Queue(settings.get("makeplus.jobs.queue", "makeplus"), connection=self.connection)
        self.retries = int(settings.get("makeplus.jobs.retries", 5))
        raw = str(settings.get("makeplus.jobs.backoff", "")).split()
        self.backoff = [int(x) for x in raw] if raw else list(DEFAULT_BACKOFF)

    def submit(self, name: str, payload: dict, key: str):
        from rq import Retry

        retry = Retry(max=self.retries, interval=self.backoff) if self.retries > 0 else None
        return self.queue.enqueue("makeplus_core.jobs.run_job", name, payload, key, retry=retry,
                                  description=f"{name} {key}", result_ttl=3600, failure_ttl=30 * 24 * 3600)


# The context of a ``makeplus-worker`` process (set by :func:`worker_main`).
WORKER_CONTEXT: JobContext | None = None


def run_job(name: str, payload: dict, key: str) -> str:
    """RQ's entry point in a worker process."""
    if WORKER_CONTEXT is None:
        raise RuntimeError("run_job runs in a makeplus-worker process (no job context)")
    return perform(WORKER_CONTEXT, name, payload, key)


def enqueue(request, name: str, payload: dict, key: str | None = None) -> str:
    """Run job ``name`` with ``payload`` after this request's transaction commits.

    ``payload`` must be JSON-able (it crosses to the worker); ``key`` makes the job
    idempotent (default: a new key, i.e. this job once). Returns the key.
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    json.dumps(payload)  # fail now, in the request, rather than in the worker
    key = key or f"{name}:{uuid.uuid4().hex}"
    queue = request.registry.makeplus.job_queue

    def after_commit(success):
        if success:
            queue.submit(name, payload, key)

    request.tm.get().addAfterCommitHook(after_commit)
    return key


def make_queue(settings: dict, registry=None):
    backend = settings.get("makeplus.jobs.backend", "inline")
    if backend == "rq":
        if not settings.get("makeplus.redis_url"):
            raise RuntimeError("makeplus.jobs.backend = rq needs makeplus.redis_url")
        return RQQueue(settings)
    if backend != "inline":
        raise RuntimeError(f"makeplus.jobs.backend must be inline or rq, not {backend!r}")
    ctx = JobContext(settings, mailer=registry.makeplus.mailer if registry else None,
                     kv_store=registry.makeplus.kv if registry else None,
                     engine=registry.makeplus.db_engine if registry else None)
    return InlineQueue(ctx)


def worker_main(argv=None):
    """``makeplus-worker <ini> [--burst]``: run the jobs of the RQ queue."""
    import argparse

    from plaster import get_settings
    from pyramid.paster import setup_logging
    from redis import Redis
    from rq import Queue, Worker

    from . import apply_environment, check_settings
    from .plugins import make_plugin_manager

    parser = argparse.ArgumentParser(prog="makeplus-worker", description=worker_main.__doc__)
    parser.add_argument("ini", nargs="?", default=os.environ.get("MAKEPLUS_INI", "production.ini"))
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    args = parser.parse_args(argv)
    setup_logging(args.ini)
    settings = apply_environment(dict(get_settings(args.ini, "app:main")))
    check_settings(settings)
    if not settings.get("makeplus.redis_url"):
        raise SystemExit("makeplus-worker needs makeplus.redis_url (MAKEPLUS_REDIS_URL)")
    # Jobs register when their module is imported: the core's here, plugins' by loading them.
    for module in CORE_JOB_MODULES:
        importlib.import_module(module)
    make_plugin_manager(settings)
    global WORKER_CONTEXT
    WORKER_CONTEXT = JobContext(settings)
    connection = Redis.from_url(settings["makeplus.redis_url"])
    queue = Queue(settings.get("makeplus.jobs.queue", "makeplus"), connection=connection)
    worker = Worker([queue], connection=connection)
    worker.work(burst=args.burst, with_scheduler=True)


def includeme(config):
    config.registry.makeplus.job_queue = make_queue(config.get_settings(), config.registry)
