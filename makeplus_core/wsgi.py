"""The WSGI application for multi-process servers (granian, gunicorn, uwsgi …).

``MAKEPLUS_INI`` names the INI file (default ``production.ini``); the app, and with it
the database engine and its connection pool, is built when a worker process imports
this module, i.e. after the server has forked, so no connection crosses a fork::

    MAKEPLUS_INI=production.ini granian --interface wsgi makeplus_core.wsgi:application
"""
from __future__ import annotations

import os

from pyramid.paster import get_app, setup_logging

_INI = os.environ.get("MAKEPLUS_INI", "production.ini")
setup_logging(_INI)
application = get_app(_INI, "main")
