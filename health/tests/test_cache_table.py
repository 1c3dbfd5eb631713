"""The database cache the allowances count in unless CACHE_URL names a shared cache: its table comes
with `migrate`, and the counts are in the database, one count for every process that shares it."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection

from gbp_scheduler.throttle import allowance_take


@pytest.mark.django_db
def test_migrate_makes_the_cache_table_and_allowances_count_in_it():
    assert caches["allowances"]._table == "django_cache"  # the tests' CACHE_URL is unset: local memory

    assert [allowance_take(key="reset:someone", limit=3) for _ in range(4)] == [True, True, True, False]

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any("allowance:reset:someone" in key for key in keys)
