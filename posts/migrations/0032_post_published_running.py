"""Each franchise's published posts (with a publish time) counted through each UTC day
(posts.PostPublishedRunning), kept by the database itself: when a post stops counting (deleted,
unpublished, moved to another day or franchise) the rows from its day on lose it; when one starts,
the franchise's rows are first stretched to its day (days before its first row start at 0, days
after its last carry the last count on, the last row marked), then the rows from its day on gain
it. Then the table is filled from the posts in the same transaction.

On PostgreSQL a transaction-scoped advisory lock per franchise makes concurrent writers of one
franchise's posts take turns, so a stretch never copies a count another writer is changing
(SQLite has one writer). SQLite's trigger bodies take no WITH clause: the days of a stretch come
from a view (posts_day_numbers) that counts 0, 1, 2... for as long as the statement's LIMIT asks."""

import django.db.models.deletion
from django.db import migrations, models

from gbp_scheduler.migration_sql import vendor_sql

TABLE = "posts_published_running"
COUNTED = "{0}.status = 'published' AND {0}.published_at IS NOT NULL"
LOCK_CLASS = 74_213  # the advisory locks' first key: these counts' own space

PG_DAY = "({0}.published_at AT TIME ZONE 'UTC')::date"

POSTGRESQL = [
    f"""
    CREATE FUNCTION posts_published_running_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        d date;
        first_day date;
        last_day date;
    BEGIN
        IF TG_OP <> 'INSERT' AND {COUNTED.format("OLD")} THEN
            PERFORM pg_advisory_xact_lock({LOCK_CLASS}, hashtext(OLD.franchise_id::text));
            UPDATE {TABLE} SET published_through = published_through - 1
            WHERE franchise_id = OLD.franchise_id AND day >= {PG_DAY.format("OLD")};
        END IF;
        IF TG_OP <> 'DELETE' AND {COUNTED.format("NEW")} THEN
            d := {PG_DAY.format("NEW")};
            PERFORM pg_advisory_xact_lock({LOCK_CLASS}, hashtext(NEW.franchise_id::text));
            SELECT min(day), max(day) INTO first_day, last_day FROM {TABLE} WHERE franchise_id = NEW.franchise_id;
            IF first_day IS NULL THEN
                INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
                VALUES (NEW.franchise_id, d, 0, true);
            ELSIF d < first_day THEN
                INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
                SELECT NEW.franchise_id, g::date, 0, false FROM generate_series(d, first_day - 1, interval '1 day') g;
            ELSIF d > last_day THEN
                INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
                SELECT NEW.franchise_id, g::date, r.published_through, g::date = d
                FROM {TABLE} r, generate_series(last_day + 1, d, interval '1 day') g
                WHERE r.franchise_id = NEW.franchise_id AND r.day = last_day;
                UPDATE {TABLE} SET is_last = false WHERE franchise_id = NEW.franchise_id AND day = last_day;
            END IF;
            UPDATE {TABLE} SET published_through = published_through + 1
            WHERE franchise_id = NEW.franchise_id AND day >= d;
        END IF;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER posts_published_running_write AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_published_running_keep()""",
    """
    CREATE TRIGGER posts_published_running_change AFTER UPDATE OF franchise_id, published_at, status ON posts
    FOR EACH ROW WHEN (OLD.franchise_id IS DISTINCT FROM NEW.franchise_id
        OR OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION posts_published_running_keep()""",
    f"""
    WITH per AS (
        SELECT franchise_id, {PG_DAY.format("p")} AS day, count(*) AS n FROM posts p
        WHERE {COUNTED.format("p")} GROUP BY 1, 2
    ), span AS (SELECT franchise_id, min(day) AS first_day, max(day) AS last_day FROM per GROUP BY 1)
    INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
    SELECT s.franchise_id, g::date,
        sum(coalesce(per.n, 0)) OVER (PARTITION BY s.franchise_id ORDER BY g::date), g::date = s.last_day
    FROM span s CROSS JOIN LATERAL generate_series(s.first_day, s.last_day, interval '1 day') g
    LEFT JOIN per ON per.franchise_id = s.franchise_id AND per.day = g::date""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER posts_published_running_change ON posts",
    "DROP TRIGGER posts_published_running_write ON posts",
    "DROP FUNCTION posts_published_running_keep()",
]

SQLITE_DAY = "date({0}.published_at)"  # Django stores UTC text on SQLite
# 0, 1, 2...: a statement takes as many as its LIMIT asks (SQLite stops the recursion there).
NUMBERS = "posts_day_numbers"
STRETCH = f"(SELECT i FROM {NUMBERS} LIMIT max(0, coalesce(CAST(({{0}}) AS INTEGER), 0)))"


def _sqlite_remove(row: str) -> str:
    return f"""
        UPDATE {TABLE} SET published_through = published_through - 1
        WHERE {COUNTED.format(row)} AND franchise_id = {row}.franchise_id AND day >= {SQLITE_DAY.format(row)};"""


def _sqlite_add(row: str) -> str:
    day, mine = SQLITE_DAY.format(row), f"franchise_id = {row}.franchise_id"
    before = f"SELECT julianday(min(day)) - julianday({day}) FROM {TABLE} WHERE {mine}"
    after = f"SELECT julianday({day}) - julianday(max(day)) FROM {TABLE} WHERE {mine}"
    return f"""
        INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
        SELECT {row}.franchise_id, {day}, 0, 1
        WHERE {COUNTED.format(row)} AND NOT EXISTS (SELECT 1 FROM {TABLE} WHERE {mine});
        INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
        SELECT {row}.franchise_id, date({day}, '+' || n.i || ' days'), 0, 0 FROM {STRETCH.format(before)} n
        WHERE {COUNTED.format(row)};
        UPDATE {TABLE} SET is_last = 0 WHERE {COUNTED.format(row)} AND {mine} AND is_last AND day < {day};
        INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
        SELECT {row}.franchise_id, date(r.day, '+' || (n.i + 1) || ' days'), r.published_through,
            date(r.day, '+' || (n.i + 1) || ' days') = {day}
        FROM {TABLE} r, {STRETCH.format(after)} n
        WHERE {COUNTED.format(row)} AND r.franchise_id = {row}.franchise_id
            AND r.day = (SELECT max(day) FROM {TABLE} WHERE {mine});
        UPDATE {TABLE} SET published_through = published_through + 1
        WHERE {COUNTED.format(row)} AND {mine} AND day >= {day};"""


SQLITE = [
    f"""
    CREATE VIEW {NUMBERS} AS
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT i FROM n""",
    f"CREATE TRIGGER posts_published_running_insert AFTER INSERT ON posts BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER posts_published_running_delete AFTER DELETE ON posts BEGIN {_sqlite_remove('OLD')} END",
    f"""
    CREATE TRIGGER posts_published_running_change AFTER UPDATE OF franchise_id, published_at, status ON posts
    WHEN OLD.franchise_id IS NOT NEW.franchise_id OR OLD.published_at IS NOT NEW.published_at
        OR OLD.status IS NOT NEW.status
    BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END""",
    f"""
    WITH RECURSIVE per AS (
        SELECT franchise_id, {SQLITE_DAY.format("p")} AS day, count(*) AS n FROM posts p
        WHERE {COUNTED.format("p")} GROUP BY 1, 2
    ), span AS (SELECT franchise_id, min(day) AS first_day, max(day) AS last_day FROM per GROUP BY 1),
    days(franchise_id, day, last_day) AS (
        SELECT franchise_id, first_day, last_day FROM span
        UNION ALL SELECT franchise_id, date(day, '+1 day'), last_day FROM days WHERE day < last_day
    )
    INSERT INTO {TABLE} (franchise_id, day, published_through, is_last)
    SELECT d.franchise_id, d.day,
        sum(coalesce(per.n, 0)) OVER (PARTITION BY d.franchise_id ORDER BY d.day), d.day = d.last_day
    FROM days d LEFT JOIN per ON per.franchise_id = d.franchise_id AND per.day = d.day""",
]
SQLITE_DROP = [f"DROP TRIGGER posts_published_running_{name}" for name in ("change", "delete", "insert")] + [
    f"DROP VIEW {NUMBERS}"
]


class Migration(migrations.Migration):

    dependencies = [
        ('franchises', '0013_filter_indexes'),
        ('posts', '0031_post_delay_hours'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostPublishedRunning',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('published_through', models.IntegerField(default=0)),
                ('is_last', models.BooleanField(default=False, help_text="The franchise's newest day: stands for the days after it.")),
                ('franchise', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='franchises.franchise')),
            ],
            options={
                'db_table': 'posts_published_running',
                'indexes': [models.Index(fields=['day', 'franchise', 'published_through'], name='posts_published_running_day'), models.Index(condition=models.Q(('is_last', True)), fields=['day', 'franchise', 'published_through'], name='posts_published_running_last')],
                'constraints': [models.UniqueConstraint(fields=('franchise', 'day'), name='posts_published_running_one_per_day')],
            },
        ),
        migrations.RunPython(
            vendor_sql({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            vendor_sql({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
