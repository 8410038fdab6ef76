"""Background jobs: inline after commit in development/tests, on RQ (Redis) in production,
idempotent by key, retried with backoff."""
from __future__ import annotations

import uuid

import pytest
from pyramid_mailer.mailer import DummyMailer

from makeplus_core import jobs
from makeplus_core.kv import MemoryStore
from makeplus_core.testing import REDIS_TEST_URL as REDIS_URL
from makeplus_core.testing import redis_cleanup, redis_or_skip

CALLS: list = []


@jobs.job("test.record")
def record_job(ctx, value, fail_times=0):
    CALLS.append(value)
    if CALLS.count(value) <= fail_times:
        raise RuntimeError(f"failing on purpose ({value})")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_mail_sent_after_commit_only(app, f):
    user = f.user()
    mailer = app.app.registry.makeplus.mailer
    mailer.outbox.clear()
    assert app.app.registry.makeplus.job_queue.name == "inline"
    app.post_json("/api/auth/password-reset/", {"email": user.email})
    assert len(mailer.outbox) == 1
    # A request that fails after asking for a mail sends nothing: the job is handed
    # over only by a committed transaction.
    from makeplus_core.mail import send_mail

    class Req:
        registry = app.app.registry

        class tm:
            import transaction as _t

            manager = _t.TransactionManager()

            @classmethod
            def get(cls):
                return cls.manager.get()

    Req.tm.manager.begin()
    send_mail(Req, to="a@example.org", subject="s", body="b")
    Req.tm.manager.abort()
    assert len(mailer.outbox) == 1
    Req.tm.manager.begin()
    send_mail(Req, to="a@example.org", subject="s", body="b")
    Req.tm.manager.commit()
    assert len(mailer.outbox) == 2


def test_same_key_runs_once():
    ctx = jobs.JobContext({}, mailer=DummyMailer(), kv_store=MemoryStore())
    assert jobs.perform(ctx, "test.record", {"value": "a"}, "k1") == "done"
    assert jobs.perform(ctx, "test.record", {"value": "a"}, "k1") == "skipped"
    assert jobs.perform(ctx, "test.record", {"value": "a"}, "k2") == "done"
    assert CALLS == ["a", "a"]


def test_failed_job_is_not_marked_done_and_running_key_is_busy():
    store = MemoryStore()
    ctx = jobs.JobContext({}, mailer=DummyMailer(), kv_store=store)
    with pytest.raises(RuntimeError):
        jobs.perform(ctx, "test.record", {"value": "b", "fail_times": 1}, "k")
    assert jobs.perform(ctx, "test.record", {"value": "b", "fail_times": 1}, "k") == "done"
    assert CALLS == ["b", "b"]
    store.set_nx("job-lock:other", "1", 60)
    with pytest.raises(jobs.JobBusy):
        jobs.perform(ctx, "test.record", {"value": "c"}, "other")
    assert "c" not in CALLS


def test_enqueue_checks_name_and_payload(app):
    class Req:
        registry = app.app.registry

    with pytest.raises(KeyError):
        jobs.enqueue(Req, "no.such.job", {})
    with pytest.raises(TypeError):
        jobs.enqueue(Req, "test.record", {"value": object()})


def test_backend_settings_checked_at_start(make_app):
    with pytest.raises(RuntimeError, match="inline or rq"):
        make_app(**{"makeplus.jobs.backend": "celery"})
    with pytest.raises(RuntimeError, match="redis_url"):
        make_app(**{"makeplus.jobs.backend": "rq"})


@pytest.fixture
def rq_app(make_app):
    client = redis_or_skip()
    tag = uuid.uuid4().hex[:10]
    settings = {"makeplus.jobs.backend": "rq", "makeplus.redis_url": REDIS_URL,
                "makeplus.redis_prefix": f"test-perfprod-jobs-{tag}:", "makeplus.jobs.queue": f"test-perfprod-{tag}",
                "makeplus.jobs.backoff": "0 0"}
    app = make_app(**settings)
    queue = app.app.registry.makeplus.job_queue
    yield app, queue
    redis_cleanup(client, tag)


def run_worker(queue, settings, mailer):
    from rq import SimpleWorker

    jobs.WORKER_CONTEXT = jobs.JobContext(settings, mailer=mailer)
    try:
        SimpleWorker([queue.queue], connection=queue.connection).work(burst=True)
    finally:
        jobs.WORKER_CONTEXT = None


def test_rq_mail_waits_in_redis_until_a_worker_sends_it(rq_app, f):
    app, queue = rq_app
    user = f.user()
    web_mailer = app.app.registry.makeplus.mailer
    web_mailer.outbox.clear()
    app.post_json("/api/auth/password-reset/", {"email": user.email})
    assert web_mailer.outbox == []
    assert queue.queue.count == 1
    worker_mailer = DummyMailer()
    run_worker(queue, app.app.registry.settings, worker_mailer)
    assert [m.recipients for m in worker_mailer.outbox] == [[user.email]]
    assert "réinitialisez" in worker_mailer.outbox[0].subject  # French by default
    assert queue.queue.count == 0


def test_rq_retries_a_failing_job_then_runs_it_once(rq_app):
    app, queue = rq_app
    job = queue.submit("test.record", {"value": "flaky", "fail_times": 2}, "flaky-key")
    assert job.retries_left == 5  # makeplus.jobs.retries default
    run_worker(queue, app.app.registry.settings, DummyMailer())
    job.refresh()
    assert job.get_status() == "finished"
    assert CALLS == ["flaky"] * 3
    # The same key delivered again (a duplicate enqueue) does not run the work again.
    queue.submit("test.record", {"value": "flaky"}, "flaky-key")
    run_worker(queue, app.app.registry.settings, DummyMailer())
    assert CALLS == ["flaky"] * 3
