"""``makeplus-db``: database migrations of the core and every plugin.

    makeplus-db upgrade development.ini             # core, then every enabled plugin
    makeplus-db current development.ini             # revisions the database is at
    makeplus-db heads development.ini
    makeplus-db history development.ini
    makeplus-db revision development.ini --branch sponsors --autogenerate -m "sponsors tables"
    makeplus-db downgrade development.ini sponsors@base   # remove a plugin's tables
    makeplus-db stamp development.ini core@head      # record without running
    makeplus-db stamp development.ini --forget REV   # forget a revision of an uninstalled plugin

``revision --branch NAME`` creates a plugin's first revision (branch label NAME,
depending on the core) or the next one; with ``--autogenerate`` it compares the
plugin's own tables with its models (run ``upgrade`` first).
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
    parser.add_argument("command", choices=["upgrade", "current", "heads", "history", "revision",
                                            "downgrade", "stamp"])
    parser.add_argument("config_uri")
    parser.add_argument("target", nargs="*", help="downgrade: NAME@base, NAME@-1 or a revision; "
                                                  "stamp: revisions (e.g. core@head)")
    parser.add_argument("--branch", default="core", help="revision: core or a plugin name")
    parser.add_argument("-m", "--message", default="change")
    parser.add_argument("--autogenerate", action="store_true", default=None,
                        help="revision: compare the branch's models with the database (default)")
    parser.add_argument("--empty", action="store_true", help="revision: an empty revision to fill by hand")
    parser.add_argument("--forget", nargs="+", default=[], metavar="REV",
                        help="stamp: remove these revisions from the version table")
    args = parser.parse_args(argv)
    settings = load_settings(args.config_uri)
    try:
        return run(args, settings)
    except migrate.MigrationError as exc:
        print(f"makeplus-db {args.command}: {exc}", file=sys.stderr)
        return 2


def run(args, settings) -> int:
    if args.command == "upgrade":
        pending = []
        applied = migrate.upgrade(settings, report=pending.append)
        print("migrated:", ", ".join(applied))
        for p in pending:
            print(f"makeplus-db upgrade: {p.message}", file=sys.stderr)
        return 3 if pending else 0
    if args.command == "revision":
        scripts = migrate.revision(settings, args.branch, args.message, autogenerate=not args.empty)
        for s in scripts:
            print(f"created {s.path}")
        return 0
    if args.command == "downgrade":
        if len(args.target) != 1:
            raise migrate.MigrationError("downgrade needs one target, e.g. `sponsors@base`")
        migrate.downgrade(settings, args.target[0])
        print(f"downgraded to {args.target[0]}")
        return 0
    if args.command == "stamp":
        if not args.target and not args.forget:
            raise migrate.MigrationError("stamp needs revisions (e.g. `core@head`) or --forget REV")
        migrate.stamp(settings, args.target, forget=args.forget)
        print("stamped:", " ".join(args.target) or "-", "forgot:", " ".join(args.forget) or "-")
        return 0
    engine = get_engine(settings)
    with engine.begin() as conn:
        cfg, _ = migrate.alembic_config(settings, connection=conn)
        getattr(command, args.command)(cfg, verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
