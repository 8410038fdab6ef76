"""``Idempotency-Key``: a retried POST does its work once and gets the first answer.

One mechanism, two users of it:

* the tween below covers every POST: the answer (status, body, a few headers) is kept per
  caller (a hash of its bearer token or page session, never shared between callers), per
  path and per key;
* the scan doors (:func:`makeplus_core.access.pipeline.handle`) apply the same key
  themselves, per scanner and door, and back it with the journal's unique
  ``(verified_by_id, scan_id)`` constraint, which holds across processes even when the
  key-value store lost the answer. Their services are declared with :func:`keyed_by_view`
  and the tween lets their requests through.

Both read the key with :func:`clean_key` (1 to :data:`MAX_KEY_LENGTH` characters, else 400),
claim it with :func:`claim` in the key-value store (``request.kv``, :mod:`makeplus_core.kv`:
Redis when ``makeplus.redis_url`` is set, so it holds across processes; in-process memory
otherwise), keep the first answer for ``makeplus.idempotency_ttl`` seconds (default 24 h)
after its transaction ended, and answer a retry with it and ``Idempotent-Replayed: true``.
A retry arriving while the first is still running waits for it. Reusing a key with a
different body is refused (422). 5xx answers are not kept (the retry runs again).
Anonymous requests are not covered by the tween (no caller to scope the key to).
"""
from __future__ import annotations

import base64
import hashlib
import json
import time

from pyramid.interfaces import IRoutesMapper

from . import errors
from .api import error_response, json_response

MAX_KEY_LENGTH = 200
PENDING = "pending"
WAIT_SECONDS = 15
PENDING_TTL = 4 * WAIT_SECONDS  # a crashed first attempt frees its key after this many seconds
DEFAULT_TTL = 24 * 3600
KEPT_HEADERS = ("Content-Type", "Location", "Content-Disposition", "Retry-After")
MAX_BODY = 1024 * 1024
REPLAYED = {"Idempotent-Replayed": "true"}

# Cornice services whose views apply the key themselves (see keyed_by_view).
_KEYED_BY_VIEW: set[str] = set()


def keyed_by_view(*services) -> None:
    """Declare services whose views apply ``Idempotency-Key`` themselves (the scan doors):
    the tween lets their requests through instead of answering retries before them."""
    _KEYED_BY_VIEW.update(service.name for service in services)


def clean_key(raw) -> str | None:
    """The client's key, stripped; ``None`` when absent; 400 when empty or too long."""
    if raw is None:
        return None
    key = raw.strip() if isinstance(raw, str) else ""
    if not key or len(key) > MAX_KEY_LENGTH:  # MAX_KEY_LENGTH, in the message's words
        raise errors.Invalid("Idempotency-Key must be 1 to 200 characters", field="Idempotency-Key")
    return key


def body_digest(request) -> str:
    return hashlib.sha256(request.body or b"").hexdigest()


def claim(store, kv_key: str):
    """Claim ``kv_key`` for a first run. ``None``: claimed, run the request, then
    :meth:`store.write <makeplus_core.kv.MemoryStore.write>` its answer (or delete the key).
    Else the first run's stored answer (a retry), or :data:`PENDING` when the first run was
    still running after :data:`WAIT_SECONDS`."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not store.set_nx(kv_key, PENDING, PENDING_TTL):
        raw = store.read(kv_key)
        if raw is not None and raw not in (PENDING, PENDING.encode()):
            return raw
        if time.monotonic() > deadline:
            return PENDING
        time.sleep(0.02)
    return None


def reused_key_body() -> dict:
    msg = "This Idempotency-Key was already used with a different request body"
    return {"error": "idempotency_key_reused", "field": "Idempotency-Key", "message": msg, "detail": msg}


def _caller(request) -> str | None:
    auth = request.headers.get("Authorization")
    if auth:
        return hashlib.sha256(auth.encode()).hexdigest()[:32]
    from .web import COOKIE

    cookie = request.cookies.get(COOKIE)
    if cookie:
        return hashlib.sha256(cookie.encode()).hexdigest()[:32]
    return None


def _keyed_by_view(registry, request) -> bool:
    if not _KEYED_BY_VIEW:
        return False
    route = registry.getUtility(IRoutesMapper)(request)["route"]
    return route is not None and route.name in _KEYED_BY_VIEW


def idempotency_tween_factory(handler, registry):
    ttl = int(registry.settings.get("makeplus.idempotency_ttl", DEFAULT_TTL))

    def tween(request):
        raw = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not raw:
            return handler(request)
        try:
            key = clean_key(raw)
        except errors.Invalid as exc:
            return error_response(exc, request)
        caller = _caller(request)
        if caller is None or _keyed_by_view(registry, request):
            return handler(request)
        store = registry.makeplus.kv
        digest = body_digest(request)
        kv_key = f"idem:{caller}:{request.path}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        raw = claim(store, kv_key)
        if raw == PENDING:
            return json_response({"error": "conflict", "message": "A request with this Idempotency-Key is "
                                  "still being processed", "detail": "retry later"}, status=409,
                                 headers={"Retry-After": "1"})
        if raw is not None:
            return _replay(raw, digest)
        try:
            response = handler(request)
        except BaseException:
            store.delete(kv_key)
            raise
        if response.status_int >= 500 or (response.content_length or 0) > MAX_BODY or \
                response.app_iter is not None and not isinstance(response.app_iter, list):
            store.delete(kv_key)
            return response
        saved = {"status": response.status, "digest": digest,
                 "headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
                 "body": base64.b64encode(response.body).decode()}
        store.write(kv_key, json.dumps(saved), ttl)
        return response

    return tween


def _replay(raw, digest):
    from pyramid.response import Response

    saved = json.loads(raw)
    if saved.get("digest") != digest:
        return json_response(reused_key_body(), status=422)
    resp = Response(status=saved["status"], body=base64.b64decode(saved["body"]))
    for name, value in saved["headers"].items():
        resp.headers[name] = value
    resp.headers.update(REPLAYED)
    return resp


def includeme(config):
    # Outside the transaction: an answer is kept only once its transaction has ended.
    config.add_tween("makeplus_core.idempotency.idempotency_tween_factory", over="pyramid_tm.tm_tween_factory")
