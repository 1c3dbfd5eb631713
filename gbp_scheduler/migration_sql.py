"""Raw SQL for migrations that differ by database (triggers, their tables' first fill)."""

from __future__ import annotations


def vendor_sql(statements: dict[str, list[str]]):
    """A RunPython function running `statements[vendor]` in order on the migrating connection."""

    def run(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            for sql in statements[schema_editor.connection.vendor]:
                cursor.execute(sql)  # no parameters: the SQL's % signs are its own

    return run
