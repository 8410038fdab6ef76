"""stats_rollups: per-room roll-ups of the scan journal, maintained by the database

``room_access_hourly`` (scans per room, UTC hour, status, direction) and
``room_day_visitors`` (holders granted per room and UTC day) are kept by triggers on
``room_access`` INSERT and DELETE, on PostgreSQL (plpgsql) and SQLite alike: every writer
(the scan pipeline, the one-statement door, the offline scanners' sync of past scans, a
cascade) keeps them exact, with no round trip of its own. The upgrade fills them from the
journal. The room statistics read them (makeplus_core/access/services.py).

Revision ID: 0014_stats_rollups
Revises: 0013_door_a
Create Date: 2026-11-30 00:30:00
"""
import sqlalchemy as sa
from alembic import op

import makeplus_core.db

revision = '0014_stats_rollups'
down_revision = '0013_door_a'
branch_labels = None
depends_on = None

PG_HOUR = "date_trunc('hour', {t} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
PG_DAY = "({t} AT TIME ZONE 'UTC')::date"
LITE_HOUR = "strftime('%Y-%m-%d %H:00:00.000000', {t})"
LITE_DAY = "date({t})"

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
            INSERT INTO room_day_visitors (room_id, day, user_id)
            VALUES (NEW.room_id, {PG_DAY.format(t='NEW.access_time')}, NEW.user_id)
            ON CONFLICT DO NOTHING;
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
                  AND access_time >= (d::timestamp AT TIME ZONE 'UTC')
                  AND access_time < ((d + 1)::timestamp AT TIME ZONE 'UTC')) THEN
                DELETE FROM room_day_visitors
                WHERE room_id = OLD.room_id AND day = d AND user_id = OLD.user_id;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER room_access_rollup_insert AFTER INSERT ON room_access
FOR EACH ROW EXECUTE FUNCTION room_access_rollup_insert()""",
    """CREATE TRIGGER room_access_rollup_delete AFTER DELETE ON room_access
FOR EACH ROW EXECUTE FUNCTION room_access_rollup_delete()""",
]

SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER room_access_rollup_insert AFTER INSERT ON room_access
WHEN NEW.room_id IS NOT NULL
BEGIN
    INSERT INTO room_access_hourly (room_id, hour, status, direction, count)
    VALUES (NEW.room_id, {LITE_HOUR.format(t='NEW.access_time')}, NEW.status, NEW.direction, 1)
    ON CONFLICT (room_id, hour, status, direction) DO UPDATE SET count = count + 1;
    INSERT OR IGNORE INTO room_day_visitors (room_id, day, user_id)
    SELECT NEW.room_id, {LITE_DAY.format(t='NEW.access_time')}, NEW.user_id
    WHERE NEW.status = 'granted' AND NEW.user_id IS NOT NULL;
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
          AND r.access_time >= {LITE_DAY.format(t='OLD.access_time')} || ' 00:00:00.000000'
          AND r.access_time < date(OLD.access_time, '+1 day') || ' 00:00:00.000000');
END""",
]


def upgrade():
    op.create_table('room_access_hourly',
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('hour', makeplus_core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('direction', sa.String(length=5), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_access_hourly_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'hour', 'status', 'direction', name=op.f('pk_room_access_hourly'))
    )
    op.create_table('room_day_visitors',
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_day_visitors_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_room_day_visitors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_id', 'day', 'user_id', name=op.f('pk_room_day_visitors'))
    )
    op.create_index(op.f('ix_room_day_visitors_user_id'), 'room_day_visitors', ['user_id'], unique=False)

    pg = op.get_bind().dialect.name == "postgresql"
    hour, day = (PG_HOUR, PG_DAY) if pg else (LITE_HOUR, LITE_DAY)
    # backfill from the journal, then let the triggers keep it (one transaction: no scan is lost between)
    op.execute(f"""
        INSERT INTO room_access_hourly (room_id, hour, status, direction, count)
        SELECT room_id, {hour.format(t='access_time')}, status, direction, count(*)
        FROM room_access WHERE room_id IS NOT NULL
        GROUP BY room_id, {hour.format(t='access_time')}, status, direction""")
    op.execute(f"""
        INSERT INTO room_day_visitors (room_id, day, user_id)
        SELECT DISTINCT room_id, {day.format(t='access_time')}, user_id
        FROM room_access
        WHERE room_id IS NOT NULL AND status = 'granted' AND user_id IS NOT NULL""")
    for ddl in (PG_FUNCTIONS if pg else SQLITE_TRIGGERS):
        op.execute(ddl)


def downgrade():
    pg = op.get_bind().dialect.name == "postgresql"
    op.execute("DROP TRIGGER IF EXISTS room_access_rollup_insert" + (" ON room_access" if pg else ""))
    op.execute("DROP TRIGGER IF EXISTS room_access_rollup_delete" + (" ON room_access" if pg else ""))
    if pg:
        op.execute("DROP FUNCTION IF EXISTS room_access_rollup_insert()")
        op.execute("DROP FUNCTION IF EXISTS room_access_rollup_delete()")
    op.drop_index(op.f('ix_room_day_visitors_user_id'), table_name='room_day_visitors')
    op.drop_table('room_day_visitors')
    op.drop_table('room_access_hourly')
