"""``makeplus-db``: database migrations.

    makeplus-db upgrade development.ini          # core + every enabled plugin
    makeplus-db current development.ini
    makeplus-db revision development.ini --branch core -m "add x"   # autogenerate
"""
from __future__ import annotations

import argparse
import sys

from alembic import command

from .. import migrate
from ..db import get_engine
from .common import load_settings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="makeplus-db", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["upgrade", "current", "heads", "revision"])
    parser.add_argument("config_uri")
    parser.add_argument("--branch", default="core", help="revision: core or a plugin name")
    parser.add_argument("-m", "--message", default="change")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    if args.command == "upgrade":
        applied = migrate.upgrade(settings)
        print("migrated:", ", ".join(applied))
        return 0
    engine = get_engine(settings)
    with engine.begin() as conn:
        cfg, folders = migrate.alembic_config(settings, connection=conn)
        if args.command == "current":
            command.current(cfg, verbose=True)
        elif args.command == "heads":
            command.heads(cfg, verbose=True)
        else:
            head = f"{args.branch}@head"
            path = str(folders[args.branch]) if args.branch in folders else str(migrate.ROOT / "versions")
            command.revision(cfg, message=args.message, autogenerate=True, head=head, version_path=path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
