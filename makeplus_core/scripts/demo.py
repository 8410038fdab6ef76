"""``makeplus-demo development.ini``: load the demo events and accounts (idempotent)."""
from __future__ import annotations

import argparse
import sys

from .. import demo
from ..auth import passwords
from ..db import get_engine, get_session_factory
from ..plugins import make_plugin_manager
from .common import load_settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="makeplus-demo", description=__doc__)
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    tc, mc = settings.get("makeplus.argon2.time_cost"), settings.get("makeplus.argon2.memory_cost")
    passwords.configure(int(tc) if tc else None, int(mc) if mc else None)
    pm = make_plugin_manager(settings)
    engine = get_engine(settings)
    session = get_session_factory(engine)()
    with session.begin():
        data = demo.load(session, pm, settings=settings)
    print(f"demo data ready: {len(data.events)} events, accounts {', '.join(sorted(data.users))} "
          f"(password {demo.PASSWORD})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
