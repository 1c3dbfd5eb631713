"""The table of Django's database cache: where the allowances count unless CACHE_URL names a shared
cache, and the default cache on Vercel (settings: CACHES). Made by migrate, so make run, CI and a
deployment need no extra step (no createcachetable)."""

from django.core.management import call_command
from django.db import migrations

TABLE = "django_cache"


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def cache_table_drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("health", "0004_weekly_digests")]

    operations = [migrations.RunPython(cache_table_create, cache_table_drop)]
