"""``makeplus-import INI EVENT FILE [--dry-run] [--mapping JSON]``: import participants.

EVENT is the event's id (or its exact name). FILE is a CSV or XLSX spreadsheet whose
columns are the organiser's own (recognised names, or ``--mapping '{"Courriel": "email"}'``).
The same plan as ``POST /api/participants/import/``: ``--dry-run`` prints the per-row report
and writes nothing; otherwise everything is imported in one transaction, or nothing when a
row has an error (the report names each row and field). New accounts get their invitation
mail (sent after the commit). A progress bar shows the planning and the writing.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import uuid

import sqlalchemy as sa

from .. import errors
from ..auth import invitations
from ..events.models import Event
from ..participants import importer


def _find_event(db, text: str):
    try:
        event = db.get(Event, uuid.UUID(text))
    except ValueError:
        event = db.scalar(sa.select(Event).where(Event.name == text))
    if event is None:
        raise SystemExit(f"makeplus-import: no event {text!r}")
    return event


def run(request, event_ref: str, data: bytes, dry_run: bool, mapping: dict | None, out=None,
        progress: bool = True) -> dict:
    """Plan (and apply unless ``dry_run``) in ``request``'s transaction; the report (printed to ``out``,
    the current ``sys.stdout`` by default — read when called, not when this module was imported)."""
    out = out if out is not None else sys.stdout
    from tqdm import tqdm

    db = request.dbsession
    event = _find_event(db, event_ref)
    header, rows = importer.read_table(data)
    with tqdm(desc="checking", unit=" rows", file=sys.stderr, disable=not progress) as bar:
        plan = importer.plan(db, event, header, rows, mapping, progress=bar.update)
    if not dry_run and plan.ok:
        def enrol(people):
            users = []
            for user, code, _ in invitations.enrol_many(db, people, event=event):
                if code is not None:
                    invitations.send_invitation(request, user, code, event)
                else:
                    invitations.send_enrolment_notice(request, user, event)
                users.append(user)
            return users

        with tqdm(total=len(plan.rows), desc="importing", unit=" rows", file=sys.stderr,
                  disable=not progress) as bar:
            importer.apply(db, event, plan, enrol=enrol, progress=bar.update)
    report = plan.report(dry_run=dry_run or not plan.ok)
    for row in report["rows"]:
        if row["action"] == "error":
            print(f"row {row['row']}: {row['field']}: {row['reason']} ({row['email']})", file=out)
    print(f"{event.name}: {report['created']} created, {report['updated']} updated, "
          f"{report['unchanged']} unchanged, {report['errors']} errors"
          + (" (dry run: nothing written)" if dry_run else "")
          + (" — nothing imported" if not plan.ok and not dry_run else ""), file=out)
    if not plan.ok and not dry_run:
        raise errors.Invalid("the file has errors", field="file")
    return report


def main(argv=None):
    from pyramid.paster import bootstrap, setup_logging

    parser = argparse.ArgumentParser(prog="makeplus-import", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config_uri")
    parser.add_argument("event", help="the event's id or exact name")
    parser.add_argument("file", type=pathlib.Path, help="a .csv or .xlsx file")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    parser.add_argument("--mapping", help='JSON object {"your column": "field"}', default=None)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    mapping = json.loads(args.mapping) if args.mapping else None
    if mapping is not None and not isinstance(mapping, dict):
        parser.error("--mapping must be a JSON object")
    data = args.file.read_bytes()
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        request = env["request"]
        try:
            with request.tm:
                run(request, args.event, data, args.dry_run, mapping, progress=not args.no_progress)
        except errors.DomainError as exc:
            print(f"makeplus-import: {exc.message}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
