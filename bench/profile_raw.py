"""CPU per request of one endpoint called as a bare WSGI app (no webtest, no HTTP server): the
app's own cost, which the 2-CPU machine's throughput is bounded by (issue 20).

    .venv/bin/python bench/profile_raw.py WHAT N [SORT]

``WHAT``: scan, scan-capped, checkin, health, root, sessions, me, hello; ``N`` requests after a
warm-up; ``SORT`` (``tottime``, ``cumulative``): profile them with cProfile and print the
``TOP`` (environment, default 40) functions. The app and its database are set up as
``bench/profile_scan.py`` does (production.ini, rate limits off, the dataset of ``bench/run.py``;
``MAKEPLUS_BENCH_DATABASE_URL`` picks another copy of it). ``SQL=1`` prints the statements of
one request instead of timing.
"""
from __future__ import annotations

import cProfile
import io
import json
import os
import pathlib
import pstats
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    what, n = sys.argv[1], int(sys.argv[2])
    sort = sys.argv[3] if len(sys.argv) > 3 else ""
    import profile_scan
    import webtest

    apps = []

    class Capture(webtest.TestApp):  # profile_scan builds the app; keep the WSGI callables
        def __init__(self, app, *args, **kwargs):
            apps.append(app)
            super().__init__(app, *args, **kwargs)

    webtest.TestApp = Capture
    sys.argv = ["profile_scan", "--what", "hello", "-n", "1"]
    profile_scan.main()
    app, hello = apps[0], apps[1]
    url = os.environ.get("MAKEPLUS_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/mp_bench")
    data = json.loads((pathlib.Path(tempfile.gettempdir())
                       / f"mp-bench-dataset-{url.rsplit('/', 1)[1]}.json").read_text())

    def environ(path, method="GET", headers=None, body=b""):
        env = {"REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
               "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
               "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8000", "HTTP_ACCEPT": "*/*",
               "CONTENT_LENGTH": str(len(body))}
        env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()})
        if body:
            env["CONTENT_TYPE"] = "application/json"
        return env

    def start_response(status, headers, exc_info=None):
        start_response.status = status

    def call(wsgi, env):
        chunks = wsgi(env, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return body

    from run import PASSWORD

    def token(email):
        body = json.dumps({"email": email, "password": PASSWORD}).encode()
        return json.loads(call(app, environ("/api/auth/token/", "POST", body=body)))["access"]

    ctrl = {"Authorization": "Bearer " + token(data["ctrl"])}
    gest = {"Authorization": "Bearer " + token(data["gest"])}
    qrs, rooms = data["qrs"], data["rooms"]

    def make(i):
        if what == "hello":
            return lambda: call(hello, environ("/"))
        if what in ("scan", "scan-capped", "checkin"):
            path = {"scan": f"/api/rooms/{rooms['open']}/verify_access/",
                    "scan-capped": f"/api/rooms/{rooms['capped']}/verify_access/",
                    "checkin": "/api/participants/scan/"}[what]
            body = json.dumps({"qr_data": qrs[i % len(qrs)]}).encode()
            return lambda: call(app, environ(path, "POST", ctrl, body))
        path, headers = {"health": ("/api/health/", {}), "root": ("/api/", {}), "sessions": ("/api/sessions/", gest),
                         "me": ("/api/auth/me/", ctrl)}[what]
        return lambda: call(app, environ(path, headers=headers))

    for i in range(300):  # warm-up: statement caches, prepared statements
        make(i)()
    print(f"{what}: {start_response.status}")
    if os.environ.get("SQL"):
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute",
                     lambda conn, cursor, statement, params, context, many: print("----", statement, params))
        make(7)()
        return
    prof = cProfile.Profile() if sort else None
    c0 = time.process_time()
    if prof:
        prof.enable()
    for i in range(n):
        make(i)()
    if prof:
        prof.disable()
    print(f"{what}: CPU {(time.process_time() - c0) * 1e6 / n:.1f} us/req{' (profiled)' if prof else ''}")
    if prof:
        pstats.Stats(prof).sort_stats(sort).print_stats(int(os.environ.get("TOP", "40")))


if __name__ == "__main__":
    main()
