"""Published posts (with a publish time) counted by UTC hour scheduled and delay bucket, with their
delays' sum (posts.PostDelayHour), kept by the database itself as 0029_post_schedule_hours keeps its
sums: on every insert, delete and change of a post's time, publish time or status, its old (hour,
bucket) loses it and its new one gains it. Then the table is filled from the posts in the same
transaction.

A delay is published_at - scheduled_at in whole microseconds, as both databases store times; its
bucket (`second`) is the delay floored to the second from -1 h to +1 h, to the minute beyond
(posts/schedule_hours.py: delay_bucket, the same in Python). Both databases' `/` and `%` truncate
towards zero, so the floor of a negative delay is written out."""

from django.db import migrations, models

from gbp_scheduler.migration_sql import vendor_sql

UPSERT = """ON CONFLICT (hour, second) DO UPDATE SET posts = posts_delay_hours.posts + excluded.posts,
    delay_us = posts_delay_hours.delay_us + excluded.delay_us"""
COLUMNS = "posts_delay_hours (hour, second, posts, delay_us)"
COUNTED = "{0}.status = 'published' AND {0}.published_at IS NOT NULL AND {0}.scheduled_at IS NOT NULL"
FLOOR = "(({0} - (({0} % {1}) + {1}) % {1}) / {1})"  # floor({0} / {1}) for integers of either sign


def _bucket(delay: str) -> str:
    """The bucket of a delay in microseconds (an SQL expression)."""
    return (
        f"CASE WHEN {delay} >= -3600000000 AND {delay} < 3600000000 THEN {FLOOR.format(delay, 1000000)}"
        f" ELSE {FLOOR.format(delay, 60000000)} * 60 END"
    )


PG_DELAY = "(EXTRACT(EPOCH FROM {0}.published_at - {0}.scheduled_at) * 1000000)::bigint"


def _postgresql_add(row: str, sign: str) -> str:
    """One post (`row`: NEW or OLD) counted in, or out with `sign` "-"."""
    delay = PG_DELAY.format(row)
    return f"""
            INSERT INTO {COLUMNS} VALUES (date_trunc('hour', {row}.scheduled_at, 'UTC'), {_bucket(delay)},
                {sign}1, {sign}{delay})
            {UPSERT};"""


POSTGRESQL = [
    f"""
    CREATE FUNCTION posts_delay_hours_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND {COUNTED.format("OLD")} THEN {_postgresql_add("OLD", "-")}
        END IF;
        IF TG_OP <> 'DELETE' AND {COUNTED.format("NEW")} THEN {_postgresql_add("NEW", "")}
        END IF;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER posts_delay_hours_write AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_delay_hours_keep()""",
    """
    CREATE TRIGGER posts_delay_hours_change AFTER UPDATE OF scheduled_at, published_at, status ON posts
    FOR EACH ROW WHEN (OLD.scheduled_at IS DISTINCT FROM NEW.scheduled_at
        OR OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION posts_delay_hours_keep()""",
    f"""
    INSERT INTO {COLUMNS}
    SELECT date_trunc('hour', p.scheduled_at, 'UTC'), {_bucket(PG_DELAY.format("p"))}, count(*),
        sum({PG_DELAY.format("p")})
    FROM posts p WHERE {COUNTED.format("p")}
    GROUP BY 1, 2""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER posts_delay_hours_change ON posts",
    "DROP TRIGGER posts_delay_hours_write ON posts",
    "DROP FUNCTION posts_delay_hours_keep()",
]

HOUR = "strftime('%Y-%m-%d %H:00:00', {})"  # as Django writes datetimes on SQLite, to the hour
# Django writes 'YYYY-MM-DD HH:MM:SS' and, past a whole second, '.ffffff' (six digits).
MICROSECONDS = "(CAST(strftime('%s', {0}) AS INTEGER) * 1000000 + CAST(substr({0}, 21, 6) AS INTEGER))"
SQLITE_DELAY = f"({MICROSECONDS.format('{0}.published_at')} - {MICROSECONDS.format('{0}.scheduled_at')})"


def _sqlite_add(row: str, sign: str) -> str:
    """One post (`row`: NEW or OLD) counted in, or out with `sign` "-"."""
    delay = SQLITE_DELAY.format(row)
    return f"""
        INSERT INTO {COLUMNS}
        SELECT {HOUR.format(row + ".scheduled_at")}, {_bucket(delay)}, {sign}1, {sign}{delay}
        WHERE {COUNTED.format(row)}
        {UPSERT};"""


SQLITE = [
    f"CREATE TRIGGER posts_delay_hours_insert AFTER INSERT ON posts BEGIN {_sqlite_add('NEW', '')} END",
    f"CREATE TRIGGER posts_delay_hours_delete AFTER DELETE ON posts BEGIN {_sqlite_add('OLD', '-')} END",
    f"""
    CREATE TRIGGER posts_delay_hours_change AFTER UPDATE OF scheduled_at, published_at, status ON posts
    WHEN OLD.scheduled_at IS NOT NEW.scheduled_at OR OLD.published_at IS NOT NEW.published_at
        OR OLD.status IS NOT NEW.status
    BEGIN {_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '')} END""",
    f"""
    INSERT INTO {COLUMNS}
    SELECT {HOUR.format("p.scheduled_at")}, {_bucket(SQLITE_DELAY.format("p"))}, count(*),
        sum({SQLITE_DELAY.format("p")})
    FROM posts p WHERE {COUNTED.format("p")}
    GROUP BY 1, 2""",
]
SQLITE_DROP = [f"DROP TRIGGER posts_delay_hours_{name}" for name in ("change", "delete", "insert")]


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0030_delays_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostDelayHour',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hour', models.DateTimeField()),
                ('second', models.BigIntegerField()),
                ('posts', models.IntegerField(default=0)),
                ('delay_us', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'posts_delay_hours',
                'constraints': [models.UniqueConstraint(fields=('hour', 'second'), name='posts_delay_hours_one')],
            },
        ),
        migrations.RunPython(
            vendor_sql({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            vendor_sql({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
