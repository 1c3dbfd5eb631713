from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OUR_APPS = ["generation", "posts", "franchises"]


def _applied(app: str) -> set[str]:
    executor = MigrationExecutor(connection)
    return {name for (label, name) in executor.loader.applied_migrations if label == app}


@pytest.mark.django_db(transaction=True)
def test_every_migration_reverses_to_zero_and_applies_again():
    for app in OUR_APPS:
        call_command("migrate", app, "zero", verbosity=0)
        assert _applied(app) == set()
    assert "posts" not in connection.introspection.table_names()

    call_command("migrate", verbosity=0)
    assert {"franchises", "posts", "generation_queue"} <= set(connection.introspection.table_names())
    assert all(_applied(app) for app in OUR_APPS)


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
