"""Posts counted by zone, UTC hour and status (posts.PostHourCount), kept by the database itself.

Triggers rather than signals: bulk updates, raw SQL and deletes of many rows skip Python's
signals, never the database's triggers. One set a database, the same logic in each: a post's old
(zone, hour, status) loses one and its new one gains one on every insert, delete and change of
its time shown, status or franchise; a franchise's posts move between zones when its zone changes.
Then the table is filled from the posts in the same transaction (PostgreSQL: the trigger's lock
holds writers off until it commits, so nothing slips between)."""

from django.db import migrations, models

from gbp_scheduler.migration_sql import vendor_sql

UPSERT = "ON CONFLICT (hour, zone, status) DO UPDATE SET posts = posts_hour_counts.posts + excluded.posts"


def _postgresql_add(row: str, n: int) -> str:
    """One post's (zone, hour, status) gaining `n`: `row` is NEW or OLD. Written out in the trigger
    function, whose statements PL/pgSQL plans once (a SQL function called from it was planned on
    every call: 0.45 ms a post)."""
    return f"""
            INSERT INTO posts_hour_counts (zone, hour, status, posts)
            SELECT f.timezone, date_trunc('hour', {row}.shown_at, 'UTC'), {row}.status, {n} FROM franchises f
            WHERE f.id = {row}.franchise_id
            {UPSERT};"""


POSTGRESQL = [
    f"""
    CREATE FUNCTION posts_hour_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND OLD.shown_at IS NOT NULL THEN {_postgresql_add("OLD", -1)}
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.shown_at IS NOT NULL THEN {_postgresql_add("NEW", 1)}
        END IF;
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER posts_hour_counts_write AFTER INSERT OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_hour_counts_keep()""",
    """
    CREATE TRIGGER posts_hour_counts_change AFTER UPDATE OF scheduled_at, published_at, status, franchise_id ON posts
    FOR EACH ROW WHEN (OLD.shown_at IS DISTINCT FROM NEW.shown_at OR OLD.status IS DISTINCT FROM NEW.status
        OR OLD.franchise_id IS DISTINCT FROM NEW.franchise_id)
    EXECUTE FUNCTION posts_hour_counts_keep()""",
    f"""
    CREATE FUNCTION posts_hour_counts_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO posts_hour_counts (zone, hour, status, posts)
        SELECT z.zone, date_trunc('hour', p.shown_at, 'UTC'), p.status, z.sign * count(*)
        FROM posts p, (VALUES (OLD.timezone, -1), (NEW.timezone, 1)) AS z(zone, sign)
        WHERE p.franchise_id = NEW.id AND p.shown_at IS NOT NULL
        GROUP BY z.zone, z.sign, date_trunc('hour', p.shown_at, 'UTC'), p.status
        {UPSERT};
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER posts_hour_counts_rezone AFTER UPDATE OF timezone ON franchises
    FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone) EXECUTE FUNCTION posts_hour_counts_rezone()""",
    """
    INSERT INTO posts_hour_counts (zone, hour, status, posts)
    SELECT f.timezone, date_trunc('hour', p.shown_at, 'UTC'), p.status, count(*)
    FROM posts p JOIN franchises f ON f.id = p.franchise_id WHERE p.shown_at IS NOT NULL
    GROUP BY f.timezone, date_trunc('hour', p.shown_at, 'UTC'), p.status""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER posts_hour_counts_rezone ON franchises",
    "DROP TRIGGER posts_hour_counts_change ON posts",
    "DROP TRIGGER posts_hour_counts_write ON posts",
    "DROP FUNCTION posts_hour_counts_rezone()",
    "DROP FUNCTION posts_hour_counts_keep()",
]

HOUR = "strftime('%Y-%m-%d %H:00:00', {})"  # as Django writes datetimes on SQLite, to the hour


def _sqlite_add(row: str, n: int) -> str:
    """One post's (zone, hour, status) gaining `n`: `row` is NEW or OLD."""
    return f"""
        INSERT INTO posts_hour_counts (zone, hour, status, posts)
        SELECT timezone, {HOUR.format(row + ".shown_at")}, {row}.status, {n} FROM franchises
        WHERE id = {row}.franchise_id AND {row}.shown_at IS NOT NULL
        {UPSERT};"""


def _sqlite_move(zone: str, sign: str) -> str:
    """A franchise's posts counted in `zone` (OLD.timezone or NEW.timezone), times `sign`."""
    return f"""
        INSERT INTO posts_hour_counts (zone, hour, status, posts)
        SELECT {zone}, {HOUR.format("shown_at")}, status, {sign}count(*) FROM posts
        WHERE franchise_id = NEW.id AND shown_at IS NOT NULL GROUP BY {HOUR.format("shown_at")}, status
        {UPSERT};"""


SQLITE = [
    f"CREATE TRIGGER posts_hour_counts_insert AFTER INSERT ON posts BEGIN {_sqlite_add('NEW', 1)} END",
    f"CREATE TRIGGER posts_hour_counts_delete AFTER DELETE ON posts BEGIN {_sqlite_add('OLD', -1)} END",
    f"""
    CREATE TRIGGER posts_hour_counts_change AFTER UPDATE OF scheduled_at, published_at, status, franchise_id ON posts
    WHEN OLD.shown_at IS NOT NEW.shown_at OR OLD.status IS NOT NEW.status OR OLD.franchise_id IS NOT NEW.franchise_id
    BEGIN {_sqlite_add('OLD', -1)} {_sqlite_add('NEW', 1)} END""",
    f"""
    CREATE TRIGGER posts_hour_counts_rezone AFTER UPDATE OF timezone ON franchises
    WHEN OLD.timezone IS NOT NEW.timezone
    BEGIN {_sqlite_move('OLD.timezone', '-')} {_sqlite_move('NEW.timezone', '')} END""",
    f"""
    INSERT INTO posts_hour_counts (zone, hour, status, posts)
    SELECT f.timezone, {HOUR.format("p.shown_at")}, p.status, count(*)
    FROM posts p JOIN franchises f ON f.id = p.franchise_id WHERE p.shown_at IS NOT NULL
    GROUP BY f.timezone, {HOUR.format("p.shown_at")}, p.status""",
]
SQLITE_DROP = [
    f"DROP TRIGGER posts_hour_counts_{name}" for name in ("rezone", "change", "delete", "insert")
]


class Migration(migrations.Migration):

    dependencies = [
        ('posts', '0025_approvals'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostHourCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('zone', models.CharField(max_length=64)),
                ('hour', models.DateTimeField()),
                ('status', models.CharField(max_length=16)),
                ('posts', models.IntegerField(default=0)),
            ],
            options={
                'db_table': 'posts_hour_counts',
                'constraints': [models.UniqueConstraint(fields=('hour', 'zone', 'status'), name='posts_hour_counts_one')],
            },
        ),
        migrations.RunPython(
            vendor_sql({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            vendor_sql({"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
