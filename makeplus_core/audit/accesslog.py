"""The request access log: one JSON line per request on the ``makeplus.access`` logger.

Fields: ``request_id`` (the client's ``X-Request-ID`` if sane, else a new one; echoed
in the response header), ``method``, ``path``, ``user_id`` (from the bearer token, no
database query), ``status``, ``duration_ms``, ``ip``. The INI routes the logger to its
own handler with a plain-message formatter, so each line is a JSON document. Nothing
is written to the database. Query strings are not logged (they may carry e-mails).

Nothing here touches an ORM object: after a failed write the transaction is gone and
so are the loaded rows (the user id comes from the token's claims). An exception that
escaped every exception view is logged with its traceback and answered as a JSON 500
carrying the request id; the access line is written in every case.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time

from pyramid_retry import is_error_retryable, is_last_attempt

from ..api import server_error_response
from ..headers import set_header

log = logging.getLogger("makeplus.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _user_id(request):
    environ = request.environ
    ident = environ.get("makeplus.identity")
    if ident is not None:
        sub = (ident.claims or {}).get("sub")
        return int(sub) if sub is not None and str(sub).isdigit() else None
    if not environ.get("HTTP_AUTHORIZATION"):
        return None  # anonymous: no policy lookup
    policy = request.jwt_policy
    if policy is None:
        return None
    try:
        sub = policy.get_claims(request).get("sub")
        return int(sub) if sub is not None else None
    except Exception:  # noqa: BLE001 - a bad token is logged as anonymous
        return None


_encode = json.JSONEncoder(ensure_ascii=False).encode
# what WebOb's ``request.path`` leaves as it is (it %-quotes everything else): most paths
NEEDS_NO_QUOTING = re.compile(r"[A-Za-z0-9_.\-~/!$&'()*+,;=:@]*")


def _path(request) -> str:
    """``request.path`` (script name and path, %-quoted as WebOb does), without building it
    when the raw path needs no quoting."""
    environ = request.environ
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return path if NEEDS_NO_QUOTING.fullmatch(path) else request.path
PLAIN_FORMATS = (None, "%(message)s")


def plain_streams(logger) -> tuple | None:
    """The streams of ``logger``'s handlers when writing a line to them is all logging would
    do: the logger's own plain ``StreamHandler``\ s with the message-only format and no
    filter, not propagating (production.ini's ``[logger_access]``). Otherwise ``None``:
    the line goes through ``logger.info`` (any other configuration, tests' log capture)."""
    if logger.propagate or logger.filters or not logger.handlers:
        return None
    for h in logger.handlers:
        fmt = getattr(h.formatter, "_fmt", None) if h.formatter is not None else None
        if type(h) is not logging.StreamHandler or h.filters or h.level > logging.INFO or fmt not in PLAIN_FORMATS:
            return None
    return tuple(logger.handlers)


def write_line(line: str, handlers: tuple | None) -> None:
    """One access line: straight to the handlers' streams when :func:`plain_streams` found them
    (the same bytes a ``StreamHandler`` writes, under its lock, flushed: about a third of a
    cheap request's CPU saved on building and dispatching a ``LogRecord``), else ``log.info``."""
    if handlers is None:
        log.info(line)
        return
    for h in handlers:
        h.acquire()
        try:
            h.stream.write(line + h.terminator)
            h.stream.flush()
        except Exception:  # noqa: BLE001 - as logging does: a broken stream never breaks a request
            h.handleError(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
        finally:
            h.release()


def access_log_tween_factory(handler, registry):
    handlers = plain_streams(log)  # logging is configured before the app is built (pserve, wsgi.py)

    def tween(request):
        start = time.perf_counter()
        asked = request.environ.get("HTTP_X_REQUEST_ID", "")
        request_id = asked if asked and REQUEST_ID.match(asked) else os.urandom(16).hex()  # as uuid4().hex
        request.environ["makeplus.request_id"] = request_id
        status = 500
        try:
            try:
                response = handler(request)
            except Exception as exc:  # noqa: BLE001 - not rendered by any exception view
                if is_error_retryable(request, exc) and not is_last_attempt(request):
                    raise  # pyramid_retry runs the request again
                response = server_error_response(request, exc)
            status = response.status_int
            set_header(response, "X-Request-ID", request_id)
            return response
        finally:
            if log.isEnabledFor(logging.INFO):
                try:
                    user_id = _user_id(request)
                except Exception:  # noqa: BLE001 - never lose the line for its user id
                    user_id = None
                write_line(_encode({
                    "request_id": request_id,
                    "method": request.environ["REQUEST_METHOD"],
                    "path": _path(request),
                    "user_id": user_id,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "ip": request.client_addr,
                }), handlers)

    return tween
