"""Posts counted by UTC hour scheduled and status (failed ones by reason), with their delays' sum
(posts.PostScheduleHour), kept by the database itself as 0026_post_hour_counts keeps its counts: on
every insert, delete and change of a post's time, publish time, status or (failed) reason, its old
(hour, status, reason) loses it and its new one gains it. Then the table is filled from the posts
in the same transaction.

A delay is published_at - scheduled_at in whole microseconds, as both databases store times."""

from django.db import migrations, models

from gbp_scheduler.migration_sql import vendor_sql

UPSERT = """ON CONFLICT (hour, status, reason) DO UPDATE SET posts = posts_schedule_hours.posts + excluded.posts,
    timed = posts_schedule_hours.timed + excluded.timed, delay_us = posts_schedule_hours.delay_us + excluded.delay_us"""
COLUMNS = "posts_schedule_hours (hour, status, reason, posts, timed, delay_us)"
REASON = "CASE WHEN {0}.status = 'failed' THEN {0}.last_error ELSE '' END"
PG_DELAY = "COALESCE((EXTRACT(EPOCH FROM {0}.published_at - {0}.scheduled_at) * 1000000)::bigint, 0)"


def _postgresql_add(row: str, sign: str) -> str:
    """One post (`row`: NEW or OLD) counted in, or out with `sign` "-"."""
    return f"""
            INSERT INTO {COLUMNS} VALUES (date_trunc('hour', {row}.scheduled_at, 'UTC'), {row}.status,
                {REASON.format(row)}, {sign}1, {sign}({row}.published_at IS NOT NULL)::int, {sign}{PG_DELAY.format(row)})
            {UPSERT};"""


POSTGRESQL = [
    f"""
    CREATE FUNCTION posts_schedule_hours_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.scheduled_at IS NOT NULL THEN {_postgresql_add("OLD", "-")}
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.scheduled_at IS NOT NULL THEN {_postgresql_add("NEW", "")}
        END IF;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER posts_schedule_hours_write AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_schedule_hours_keep()""",
    """
    CREATE TRIGGER posts_schedule_hours_change
    AFTER UPDATE OF scheduled_at, published_at, status, last_error ON posts
    FOR EACH ROW WHEN (OLD.scheduled_at IS DISTINCT FROM NEW.scheduled_at
        OR OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.status IS DISTINCT FROM NEW.status
        OR (NEW.status = 'failed' AND OLD.last_error IS DISTINCT FROM NEW.last_error))
    EXECUTE FUNCTION posts_schedule_hours_keep()""",
    f"""
    INSERT INTO {COLUMNS}
    SELECT date_trunc('hour', p.scheduled_at, 'UTC'), p.status, {REASON.format("p")}, count(*),
        count(p.published_at), sum({PG_DELAY.format("p")})
    FROM posts p WHERE p.scheduled_at IS NOT NULL
    GROUP BY date_trunc('hour', p.scheduled_at, 'UTC'), p.status, {REASON.format("p")}""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER posts_schedule_hours_change ON posts",
    "DROP TRIGGER posts_schedule_hours_write ON posts",
    "DROP FUNCTION posts_schedule_hours_keep()",
]

HOUR = "strftime('%Y-%m-%d %H:00:00', {})"  # as Django writes datetimes on SQLite, to the hour
# Django writes 'YYYY-MM-DD HH:MM:SS' and, past a whole second, '.ffffff' (six digits).
MICROSECONDS = "(CAST(strftime('%s', {0}) AS INTEGER) * 1000000 + CAST(substr({0}, 21, 6) AS INTEGER))"
SQLITE_DELAY = (
    f"COALESCE({MICROSECONDS.format('{0}.published_at')} - {MICROSECONDS.format('{0}.scheduled_at')}, 0)"
)


def _sqlite_add(row: str, sign: str) -> str:
    """One post (`row`: NEW or OLD) counted in, or out with `sign` "-"."""
    return f"""
        INSERT INTO {COLUMNS}
        SELECT {HOUR.format(row + ".scheduled_at")}, {row}.status, {REASON.format(row)}, {sign}1, {sign}({row}.published_at IS NOT NULL),
            {sign}{SQLITE_DELAY.format(row)}
        WHERE {row}.scheduled_at IS NOT NULL
        {UPSERT};"""


SQLITE = [
    f"CREATE TRIGGER posts_schedule_hours_insert AFTER INSERT ON posts BEGIN {_sqlite_add('NEW', '')} END",
    f"CREATE TRIGGER posts_schedule_hours_delete AFTER DELETE ON posts BEGIN {_sqlite_add('OLD', '-')} END",
    f"""
    CREATE TRIGGER posts_schedule_hours_change AFTER UPDATE OF scheduled_at, published_at, status, last_error ON posts
    WHEN OLD.scheduled_at IS NOT NEW.scheduled_at OR OLD.published_at IS NOT NEW.published_at
        OR OLD.status IS NOT NEW.status OR (NEW.status = 'failed' AND OLD.last_error IS NOT NEW.last_error)
    BEGIN {_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '')} END""",
    f"""
    INSERT INTO {COLUMNS}
    SELECT {HOUR.format("p.scheduled_at")}, p.status, {REASON.format("p")}, count(*), count(p.published_at),
        sum({SQLITE_DELAY.format("p")})
    FROM posts p WHERE p.scheduled_at IS NOT NULL
    GROUP BY {HOUR.format("p.scheduled_at")}, p.status, {REASON.format("p")}""",
]
SQLITE_DROP = [f"DROP TRIGGER posts_schedule_hours_{name}" for name in ("change", "delete", "insert")]


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0028_post_events_keep_announced_event'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostScheduleHour',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hour', models.DateTimeField()),
                ('status', models.CharField(max_length=16)),
                ('reason', models.TextField(default='')),
                ('posts', models.IntegerField(default=0)),
                ('timed', models.IntegerField(default=0)),
                ('delay_us', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'posts_schedule_hours',
                'constraints': [models.UniqueConstraint(fields=('hour', 'status', 'reason'), name='posts_schedule_hours_one')],
            },
        ),
        migrations.RunPython(
            vendor_sql({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            vendor_sql({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
