"""``Idempotency-Key`` for every POST: a retried request does its work once.

A POST carrying an ``Idempotency-Key`` header is remembered per caller (a hash of
its bearer token or page session, never shared between callers), per path and per
key, in the key-value store (``registry.makeplus.kv``: Redis when
``makeplus.redis_url`` is set, so it holds across processes; in-process memory
otherwise). The first request runs; its answer (status, body, a few headers) is
kept for ``makeplus.idempotency_ttl`` seconds (default 24 h) after its transaction
ended. A retry gets that answer again, with ``Idempotent-Replayed: true``; a retry
arriving while the first is still running waits for it. Reusing a key with a
different body is refused (422). 5xx answers are not kept (the retry runs again).
Anonymous requests are not covered (they have no caller to scope the key to).

Endpoints with their own, stronger guarantees (the scan doors, the caisse's sale)
keep them: this layer answers a retry before it reaches them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time

from .api import json_response

PENDING = "pending"
WAIT_SECONDS = 15
KEPT_HEADERS = ("Content-Type", "Location", "Content-Disposition", "Retry-After")
MAX_BODY = 1024 * 1024


def _caller(request) -> str | None:
    auth = request.headers.get("Authorization")
    if auth:
        return hashlib.sha256(auth.encode()).hexdigest()[:32]
    from .web import COOKIE

    cookie = request.cookies.get(COOKIE)
    if cookie:
        return hashlib.sha256(cookie.encode()).hexdigest()[:32]
    return None


def idempotency_tween_factory(handler, registry):
    ttl = int(registry.settings.get("makeplus.idempotency_ttl", 24 * 3600))

    def tween(request):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return handler(request)
        key = key.strip()
        if not key or len(key) > 200:
            return json_response({"error": "validation_failed", "field": "Idempotency-Key",
                                  "message": "Idempotency-Key must be 1 to 200 characters",
                                  "detail": "Idempotency-Key must be 1 to 200 characters"}, status=400)
        caller = _caller(request)
        if caller is None:
            return handler(request)
        store = registry.makeplus.kv
        digest = hashlib.sha256(request.body or b"").hexdigest()
        kv_key = f"idem:{caller}:{request.path}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        deadline = time.monotonic() + WAIT_SECONDS
        while not store.set_nx(kv_key, PENDING, WAIT_SECONDS * 4):
            raw = store.read(kv_key)
            if raw is not None and raw not in (PENDING, PENDING.encode()):
                return _replay(raw, digest)
            if time.monotonic() > deadline:
                return json_response({"error": "conflict", "message": "A request with this Idempotency-Key is "
                                      "still being processed", "detail": "retry later"}, status=409,
                                     headers={"Retry-After": "1"})
            time.sleep(0.02)
        try:
            response = handler(request)
        except BaseException:
            store.delete(kv_key)
            raise
        if response.status_int >= 500 or (response.content_length or 0) > MAX_BODY or \
                response.app_iter is not None and not isinstance(response.app_iter, list):
            store.delete(kv_key)
            return response
        body = response.body
        saved = {"status": response.status, "digest": digest,
                 "headers": {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers},
                 "body": base64.b64encode(body).decode()}
        store.write(kv_key, json.dumps(saved), ttl)
        return response

    return tween


def _replay(raw, digest):
    from pyramid.response import Response

    saved = json.loads(raw)
    if saved.get("digest") != digest:
        msg = "This Idempotency-Key was already used with a different request body"
        return json_response({"error": "idempotency_key_reused", "field": "Idempotency-Key", "message": msg,
                              "detail": msg}, status=422)
    resp = Response(status=saved["status"], body=base64.b64decode(saved["body"]))
    for name, value in saved["headers"].items():
        resp.headers[name] = value
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def includeme(config):
    # Outside the transaction: an answer is kept only once its transaction has ended.
    config.add_tween("makeplus_core.idempotency.idempotency_tween_factory", over="pyramid_tm.tm_tween_factory")
