"""``makeplus-serve``: the production HTTP server (granian, WSGI, N worker processes).

Every worker process imports :mod:`makeplus_core.wsgi` after the fork, so each builds
its own app, engine and connection pool from ``MAKEPLUS_INI`` (default
``production.ini``)::

    MAKEPLUS_INI=production.ini makeplus-serve --host 0.0.0.0 --port 6543 --workers 4

Why granian and not waitress (measured in ``bench/RESULTS.md``): waitress parses HTTP
and runs its event loop in pure Python, in the same interpreter (and under the same
GIL) as the application, and one waitress process uses one CPU; granian's HTTP side is
compiled (Rust, outside the GIL) and runs N processes on one port. ``make run`` keeps
waitress through ``pserve`` (one process, reloads, no compiled dependency needed).

Defaults: one worker per CPU (``MAKEPLUS_WORKERS``), 2 WSGI threads per worker
(``MAKEPLUS_THREADS``; a thread waits on PostgreSQL while the other runs Python),
graceful shutdown on SIGTERM (in-flight requests finish; ``--kill-timeout`` seconds).
"""
from __future__ import annotations

import argparse
import os


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(prog="makeplus-serve", description=__doc__.splitlines()[0])
    p.add_argument("--app", default="makeplus_core.wsgi:application", help="WSGI target module:attribute")
    p.add_argument("--host", default=env.get("MAKEPLUS_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(env.get("MAKEPLUS_PORT", 6543)))
    p.add_argument("--workers", type=int, default=int(env.get("MAKEPLUS_WORKERS", 0)) or os.cpu_count() or 1)
    p.add_argument("--threads", type=int, default=int(env.get("MAKEPLUS_THREADS", 2)),
                   help="WSGI threads per worker")
    p.add_argument("--backlog", type=int, default=1024)
    p.add_argument("--kill-timeout", type=int, default=30,
                   help="seconds a worker gets to finish its requests after SIGTERM")
    return p


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    from granian import Granian
    from granian.constants import Interfaces

    Granian(args.app, address=args.host, port=args.port, interface=Interfaces.WSGI, workers=args.workers,
            blocking_threads=args.threads, backlog=args.backlog, workers_kill_timeout=args.kill_timeout,
            log_access=False, respawn_failed_workers=True).serve()


if __name__ == "__main__":
    main()
