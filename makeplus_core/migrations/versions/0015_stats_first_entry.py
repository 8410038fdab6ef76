"""stats_first_entry: room_day_visitors.first_entry_at, each visitor's first granted entry of the day

``room_day_visitors.first_entry_at`` is the earliest granted **entry** (``direction =
'entry'``) of that holder in that room on that UTC day; NULL while the holder has only
granted exits that day. The ``room_access`` triggers of 0014_stats_rollups keep it, on
PostgreSQL (plpgsql) and SQLite alike, so every writer (the scan pipeline, the
one-statement door, the offline scanners' sync of past scans, a cascade) keeps it exact:

* INSERT of a granted row: the visitor row is inserted with ``first_entry_at`` = the row's
  time for an entry (NULL for an exit), ``ON CONFLICT DO NOTHING``; only when the row
  already existed, and only for an entry, a plain ``UPDATE … WHERE first_entry_at IS NULL
  OR first_entry_at > NEW.access_time``. A re-entry in time order matches nothing: it
  writes and locks nothing (``ON CONFLICT DO UPDATE … WHERE`` would lock the row even so).
  A synced past entry earlier than the first one lowers it.
* DELETE of a granted entry that was the first one: recomputed from the journal (the
  visitor row is still deleted when nothing granted is left that day, as in 0014).

Occupancy (rooms that do not track exits, no running session) and the occupancy timeline
of the room statistics read it instead of the day's journal (makeplus_core/access/occupancy.py,
makeplus_core/access/services.py). The upgrade fills it from the journal.

Revision ID: 0015_stats_first_entry
Revises: 0014_stats_rollups
Create Date: 2026-11-30 09:30:00
"""
import importlib.util
import pathlib

import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0015_stats_first_entry'
down_revision = '0014_stats_rollups'
branch_labels = None
depends_on = None


def _previous():
    """Revision 0014 (its day/hour expressions; its triggers, which the downgrade puts back)."""
    path = pathlib.Path(__file__).with_name("0014_stats_rollups.py")
    spec = importlib.util.spec_from_file_location("makeplus_migration_0014_stats_rollups", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


R14 = _previous()
PG_HOUR, PG_DAY, LITE_HOUR, LITE_DAY = R14.PG_HOUR, R14.PG_DAY, R14.LITE_HOUR, R14.LITE_DAY
PG_DAY_RANGE = ("access_time >= ({d}::timestamp AT TIME ZONE 'UTC') "
                "AND access_time < (({d} + 1)::timestamp AT TIME ZONE 'UTC')")
LITE_DAY_RANGE = ("r.access_time >= date({t}) || ' 00:00:00.000000' "
                  "AND r.access_time < date({t}, '+1 day') || ' 00:00:00.000000'")

# duplicates: deliberate — a trigger function is redefined whole (CREATE OR REPLACE): the bodies repeat
# 0014's, and a migration stays frozen as written rather than patching another revision's strings
PG_FUNCTIONS = [
    f"""
CREATE OR REPLACE FUNCTION room_access_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.room_id IS NOT NULL THEN
        INSERT INTO room_access_hourly (room_id, hour, status, direction, count)
        VALUES (NEW.room_id, {PG_HOUR.format(t='NEW.access_time')}, NEW.status, NEW.direction, 1)
        ON CONFLICT (room_id, hour, status, direction)
        DO UPDATE SET count = room_access_hourly.count + 1;
        IF NEW.status = 'granted' AND NEW.user_id IS NOT NULL THEN
            INSERT INTO room_day_visitors (room_id, day, user_id, first_entry_at)
            VALUES (NEW.room_id, {PG_DAY.format(t='NEW.access_time')}, NEW.user_id,
                    CASE WHEN NEW.direction = 'entry' THEN NEW.access_time END)
            ON CONFLICT DO NOTHING;
            -- the holder was already a visitor that day: an entry earlier than the first one
            -- (or the first entry after exits only) moves first_entry_at; a re-entry in time
            -- order matches nothing and writes nothing
            IF NOT FOUND AND NEW.direction = 'entry' THEN
                UPDATE room_day_visitors SET first_entry_at = NEW.access_time
                WHERE room_id = NEW.room_id AND day = {PG_DAY.format(t='NEW.access_time')}
                  AND user_id = NEW.user_id
                  AND (first_entry_at IS NULL OR first_entry_at > NEW.access_time);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION room_access_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d date;
BEGIN
    IF OLD.room_id IS NOT NULL THEN
        UPDATE room_access_hourly SET count = count - 1
        WHERE room_id = OLD.room_id AND hour = {PG_HOUR.format(t='OLD.access_time')}
          AND status = OLD.status AND direction = OLD.direction;
        DELETE FROM room_access_hourly
        WHERE room_id = OLD.room_id AND hour = {PG_HOUR.format(t='OLD.access_time')}
          AND status = OLD.status AND direction = OLD.direction AND count <= 0;
        IF OLD.status = 'granted' AND OLD.user_id IS NOT NULL THEN
            d := {PG_DAY.format(t='OLD.access_time')};
            IF NOT EXISTS (
                SELECT 1 FROM room_access
                WHERE room_id = OLD.room_id AND user_id = OLD.user_id AND status = 'granted'
                  AND {PG_DAY_RANGE.format(d='d')}) THEN
                DELETE FROM room_day_visitors
                WHERE room_id = OLD.room_id AND day = d AND user_id = OLD.user_id;
            ELSIF OLD.direction = 'entry' THEN
                -- the first entry of the day went: the next one (NULL when only exits are left)
                UPDATE room_day_visitors SET first_entry_at = (
                    SELECT min(access_time) FROM room_access
                    WHERE room_id = OLD.room_id AND user_id = OLD.user_id AND status = 'granted'
                      AND direction = 'entry' AND {PG_DAY_RANGE.format(d='d')})
                WHERE room_id = OLD.room_id AND day = d AND user_id = OLD.user_id
                  AND first_entry_at >= OLD.access_time;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
]

SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER room_access_rollup_insert AFTER INSERT ON room_access
WHEN NEW.room_id IS NOT NULL
BEGIN
    INSERT INTO room_access_hourly (room_id, hour, status, direction, count)
    VALUES (NEW.room_id, {LITE_HOUR.format(t='NEW.access_time')}, NEW.status, NEW.direction, 1)
    ON CONFLICT (room_id, hour, status, direction) DO UPDATE SET count = count + 1;
    INSERT OR IGNORE INTO room_day_visitors (room_id, day, user_id, first_entry_at)
    SELECT NEW.room_id, {LITE_DAY.format(t='NEW.access_time')}, NEW.user_id,
           CASE WHEN NEW.direction = 'entry' THEN NEW.access_time END
    WHERE NEW.status = 'granted' AND NEW.user_id IS NOT NULL;
    UPDATE room_day_visitors SET first_entry_at = NEW.access_time
    WHERE NEW.status = 'granted' AND NEW.direction = 'entry' AND NEW.user_id IS NOT NULL
      AND room_id = NEW.room_id AND day = {LITE_DAY.format(t='NEW.access_time')} AND user_id = NEW.user_id
      AND (first_entry_at IS NULL OR first_entry_at > NEW.access_time);
END""",
    f"""
CREATE TRIGGER room_access_rollup_delete AFTER DELETE ON room_access
WHEN OLD.room_id IS NOT NULL
BEGIN
    UPDATE room_access_hourly SET count = count - 1
    WHERE room_id = OLD.room_id AND hour = {LITE_HOUR.format(t='OLD.access_time')}
      AND status = OLD.status AND direction = OLD.direction;
    DELETE FROM room_access_hourly
    WHERE room_id = OLD.room_id AND hour = {LITE_HOUR.format(t='OLD.access_time')}
      AND status = OLD.status AND direction = OLD.direction AND count <= 0;
    DELETE FROM room_day_visitors
    WHERE OLD.status = 'granted' AND OLD.user_id IS NOT NULL
      AND room_id = OLD.room_id AND day = {LITE_DAY.format(t='OLD.access_time')} AND user_id = OLD.user_id
      AND NOT EXISTS (
        SELECT 1 FROM room_access r
        WHERE r.room_id = OLD.room_id AND r.user_id = OLD.user_id AND r.status = 'granted'
          AND {LITE_DAY_RANGE.format(t='OLD.access_time')});
    UPDATE room_day_visitors SET first_entry_at = (
        SELECT min(r.access_time) FROM room_access r
        WHERE r.room_id = OLD.room_id AND r.user_id = OLD.user_id AND r.status = 'granted'
          AND r.direction = 'entry' AND {LITE_DAY_RANGE.format(t='OLD.access_time')})
    WHERE OLD.status = 'granted' AND OLD.direction = 'entry' AND OLD.user_id IS NOT NULL
      AND room_id = OLD.room_id AND day = {LITE_DAY.format(t='OLD.access_time')} AND user_id = OLD.user_id
      AND first_entry_at >= OLD.access_time;
END""",
]

TRIGGERS = ("room_access_rollup_insert", "room_access_rollup_delete")


def _drop_sqlite_triggers():
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column('room_day_visitors',
                  sa.Column('first_entry_at', makeplus_core.db.UTCDateTime(timezone=True), nullable=True))
    # backfill from the journal, then let the triggers keep it (one transaction on PostgreSQL:
    # a scan waits for the ALTER TABLE's lock and is counted by the new trigger)
    day = PG_DAY if pg else LITE_DAY
    op.execute(f"""
        UPDATE room_day_visitors SET first_entry_at = m.first_entry_at
        FROM (SELECT room_id, {day.format(t='access_time')} AS day, user_id, min(access_time) AS first_entry_at
              FROM room_access
              WHERE room_id IS NOT NULL AND status = 'granted' AND direction = 'entry' AND user_id IS NOT NULL
              GROUP BY room_id, {day.format(t='access_time')}, user_id) AS m
        WHERE room_day_visitors.room_id = m.room_id AND room_day_visitors.day = m.day
          AND room_day_visitors.user_id = m.user_id""")
    if pg:
        for ddl in PG_FUNCTIONS:
            op.execute(ddl)
    else:
        _drop_sqlite_triggers()
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        for ddl in R14.PG_FUNCTIONS[:2]:  # CREATE OR REPLACE FUNCTION: 0014's bodies back
            op.execute(ddl)
        op.drop_column('room_day_visitors', 'first_entry_at')
        return
    # SQLite rebuilds the table to drop a column: no trigger may name it meanwhile
    _drop_sqlite_triggers()
    with op.batch_alter_table('room_day_visitors') as batch:
        batch.drop_column('first_entry_at')
    for ddl in R14.SQLITE_TRIGGERS:
        op.execute(ddl)
