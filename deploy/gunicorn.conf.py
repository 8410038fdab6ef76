"""gunicorn settings for MakePlus web workers (``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be overridden by an environment variable (below) or on the command
line. See docs/deploy.md for the whole layout.

- N worker processes (default: one per CPU), each with a few threads (gthread): a
  thread waits on PostgreSQL while another runs Python.
- ``preload_app = False``: each worker imports ``makeplus_core.wsgi`` itself, i.e. builds
  the app, its database engine and its connection pool **after** the fork; no socket or
  connection is shared between processes.
- SIGTERM drains: the master stops accepting, each worker finishes its in-flight
  requests (up to ``graceful_timeout`` seconds), then exits. SIGHUP reloads the
  workers one by one with the new code.
"""
import multiprocessing
import os

wsgi_app = "makeplus_core.wsgi:application"
bind = f'{os.environ.get("MAKEPLUS_HOST", "127.0.0.1")}:{os.environ.get("MAKEPLUS_PORT", "6543")}'
workers = int(os.environ.get("MAKEPLUS_WORKERS") or 0) or multiprocessing.cpu_count()
worker_class = "gthread"
threads = int(os.environ.get("MAKEPLUS_THREADS", "4"))
preload_app = False
graceful_timeout = int(os.environ.get("MAKEPLUS_GRACEFUL_TIMEOUT", "30"))
timeout = int(os.environ.get("MAKEPLUS_WORKER_TIMEOUT", "60"))
keepalive = 5
# X-Forwarded-Proto is believed only from these addresses (the reverse proxy).
forwarded_allow_ips = os.environ.get("MAKEPLUS_TRUSTED_PROXIES", "127.0.0.1")
# The app writes one JSON access line per request itself (logger makeplus.access).
accesslog = None
errorlog = "-"
