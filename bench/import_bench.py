"""Bulk import benchmark (not a test): 10,000 participants through the real API.

For each database (a fresh SQLite file; PostgreSQL database ``mp_import_bench``, recreated)
it migrates a fresh schema, creates one event (two rooms, one paid atelier) and its
gestionnaire, writes a 10,000-row XLSX (organiser's French column names, every 4th row
with a room, every 10th with the paid atelier), then calls ``POST /api/participants/import/``
through the real WSGI app (WebTest, in process): a dry run, then the real run (every row
creates an account, its invitation mail — debug mailer —, its participant row). Prints the
wall time of each call and the process's peak RSS.

    .venv/bin/python bench/import_bench.py [--rows 10000] [--only sqlite|postgresql]
"""
from __future__ import annotations

import argparse
import io
import pathlib
import resource
import sys
import tempfile
import time

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mp_import_bench"


def workbook(rows: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Prénom", "Nom", "Courriel", "Téléphone", "Société", "Badge", "Salles", "Ateliers"])
    for i in range(rows):
        ws.append([f"Prénom{i}", f"Nom{i}", f"personne{i}@bench.local", f"+2217{i:08d}", "ACME",
                   f"B{i:05d}", "Amphi A" if i % 4 == 0 else "", "Atelier payant" if i % 10 == 0 else ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(label: str, url: str, data: bytes) -> None:
    import datetime as dt

    import webtest

    from makeplus_core import main, migrate
    from makeplus_core.auth import passwords, tokens
    from makeplus_core.auth.services import create_user
    from makeplus_core.db import get_engine, get_session_factory, utcnow
    from makeplus_core.events.models import Event
    from makeplus_core.events.services import assign_role
    from makeplus_core.rooms.models import Room
    from makeplus_core.sessions.models import Session

    passwords.configure(time_cost=1, memory_cost=1024)
    settings = {"sqlalchemy.url": url, "makeplus.jwt_secret": "bench-secret-" + "x" * 40,
                "makeplus.plugins": "", "makeplus.env": "bench", "makeplus.ratelimit.enabled": "false",
                "makeplus.storage_root": tempfile.gettempdir() + "/mp-import-bench-media",
                "mail.backend": "debug"}
    if url.startswith("postgresql"):
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
        from run import reset_database  # bench/run.py: create the database, recreate its schema

        reset_database(url)
    engine = get_engine(settings)
    migrate.upgrade(settings, engine)
    app = main({}, **settings)
    db = get_session_factory(engine)()
    now = utcnow()
    event = Event(name="Bench import", start_date=now, end_date=now + dt.timedelta(days=2), status="active")
    db.add(event)
    db.flush()
    amphi = Room(event_id=event.id, name="Amphi A")
    db.add_all([amphi, Room(event_id=event.id, name="Salle B")])
    db.flush()
    db.add(Session(event_id=event.id, room_id=amphi.id, title="Atelier payant", is_paid=True,
                   price=5000, start_time=now, end_time=now + dt.timedelta(hours=2)))
    gest = create_user(db, email="gest@bench.local", password="bench-password-1")
    assign_role(db, gest.id, event, "gestionnaire_des_salles")
    auth_session = tokens.open_session(db, app.registry, gest, event.id)
    db.commit()
    headers = {"Authorization": "Bearer " + tokens.access_token(app.registry, gest, auth_session)}
    db.close()
    test = webtest.TestApp(app)
    for dry_run in ("true", "false"):
        t0 = time.perf_counter()
        r = test.post("/api/participants/import/", {"dry_run": dry_run},
                      upload_files=[("file", "bench.xlsx", data)], headers=headers)
        seconds = time.perf_counter() - t0
        body = r.json
        print(f"{label:10s} dry_run={dry_run:5s} rows={body['total']} created={body['created']} "
              f"errors={body['errors']} {seconds:6.1f} s  peak RSS {peak_mb():.0f} MB", flush=True)
    engine.dispose()


def main_cli():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    data = workbook(args.rows)
    print(f"workbook: {args.rows} rows, {len(data) // 1024} KiB; peak RSS before: {peak_mb():.0f} MB")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.sqlite", data)
    if args.only in (None, "postgresql"):
        run("PostgreSQL", PG_URL, data)
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
