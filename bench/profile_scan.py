"""In-process CPU profile of one endpoint (issue 20): the Python side of a request, without
the HTTP server and without wrk, on the dataset of ``bench/run.py`` (run it once first).

    .venv/bin/python bench/profile_scan.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mp_bench \\
        [--what scan|scan-capped|checkin|health|root|sessions|me|hello] [-n 2000] [--cprofile 25]

Prints the wall and CPU (process) time per request of ``n`` sequential requests through the
production app (``production.ini``, rate limits off), then, with ``--cprofile N``, the N
functions with the most cumulative time. The CPU figure is the app's own cost per request,
which the 2-CPU machine's throughput is bounded by (PostgreSQL's CPU comes on top).
"""
from __future__ import annotations

import argparse
import base64
import configparser
import cProfile
import io
import json
import os
import pathlib
import pstats
import secrets
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=os.environ.get("MAKEPLUS_BENCH_DATABASE_URL",
                                                            "postgresql+psycopg://postgres@127.0.0.1:5432/mp_bench"))
    p.add_argument("--redis-url", default=os.environ.get("MAKEPLUS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"))
    p.add_argument("--what", default="scan")
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--cprofile", type=int, default=0)
    args = p.parse_args()
    data = json.loads((pathlib.Path(tempfile.gettempdir())
                       / f"mp-bench-dataset-{args.database_url.rsplit('/', 1)[1]}.json").read_text())
    cp = configparser.RawConfigParser(strict=False)
    cp.optionxform = str
    cp.read(ROOT / "production.ini")
    cp["app:main"]["makeplus.ratelimit.enabled"] = "false"
    cp["app:main"]["makeplus.redis_prefix"] = f"mp-profile-{os.getpid()}:"
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="mp-profile-"))
    cp["app:main"]["makeplus.storage_root"] = str(tmp / "media")
    ini = tmp / "profile.ini"
    with open(ini, "w") as fh:
        cp.write(fh)
    os.environ.update(MAKEPLUS_DATABASE_URL=args.database_url, MAKEPLUS_JWT_SECRET=secrets.token_urlsafe(48),
                      MAKEPLUS_REDIS_URL=args.redis_url,
                      # production signs badges with Ed25519 and never generates the key (docs/security.md)
                      MAKEPLUS_BADGE_ED25519_KEYS="e1:" + base64.urlsafe_b64encode(secrets.token_bytes(32))
                      .rstrip(b"=").decode())
    sys.path.insert(0, str(ROOT / "bench"))
    # the access log as production writes it (production.ini: one JSON line per request on a
    # StreamHandler), to /dev/null
    import logging

    from pyramid.paster import get_app
    from webtest import TestApp

    access = logging.getLogger("makeplus.access")
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    access.propagate = False
    app = TestApp(get_app(str(ini), "main"))
    from run import PASSWORD

    def token(email):
        return app.post_json("/api/auth/token/", {"email": email, "password": PASSWORD}).json["access"]

    ctrl = {"Authorization": f"Bearer {token(data['ctrl'])}"}
    gest = {"Authorization": f"Bearer {token(data['gest'])}"}
    import hello as hello_module

    hello = TestApp(hello_module.application)
    qrs = data["qrs"]
    rooms = data["rooms"]

    def make(i):
        what = args.what
        if what in ("scan", "scan-capped"):
            room = rooms["open" if what == "scan" else "capped"]
            return lambda: app.post_json(f"/api/rooms/{room}/verify_access/", {"qr_data": qrs[i % len(qrs)]},
                                         headers=ctrl)
        if what == "checkin":
            return lambda: app.post_json("/api/participants/scan/", {"qr_data": qrs[i % len(qrs)]}, headers=ctrl)
        if what == "hello":
            return lambda: hello.get("/")
        path, headers = {"health": ("/api/health/", {}), "root": ("/api/", {}),
                         "sessions": ("/api/sessions/", gest), "me": ("/api/auth/me/", ctrl)}[what]
        return lambda: app.get(path, headers=headers)

    for i in range(200):  # warm-up: statement caches
        make(i)()
    prof = cProfile.Profile() if args.cprofile else None
    w0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    for i in range(args.n):
        make(i)()
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"{args.what}: {args.n} requests, wall {wall * 1000 / args.n:.3f} ms/req, "
          f"CPU {cpu * 1000 / args.n:.3f} ms/req (webtest's own cost included{', profiled' if prof else ''})")
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(args.cprofile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
