"""The database as tests need to see it: unreachable on purpose, or read below the ORM."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections

from franchises.models import Franchise


@contextmanager
def database_unreachable() -> Iterator[None]:
    """Point the default connection at a database that cannot be reached, then put it back.

    The live connection object is set aside (not closed: an in-memory SQLite test database would
    die with it), so the next query must open a new connection to the bad address and fails the
    way a down server does: OperationalError from the driver.
    """
    default = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the django.db.connection proxy
    saved = dict(default.__dict__)
    broken = dict(default.settings_dict)
    if default.vendor == "sqlite":
        broken["NAME"] = "/nonexistent-directory/unreachable.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT="1")  # nothing listens on port 1
    default.settings_dict = broken
    default.connection = None
    try:
        yield
    finally:
        if default.connection is not None and default.connection is not saved["connection"]:
            default.connection.close()
        default.__dict__.clear()
        default.__dict__.update(saved)


def raw_token_columns(franchise: Franchise) -> tuple[str | None, str | None]:
    """The franchise's refresh and access token columns as stored (encrypted), bypassing the ORM."""
    with connection.cursor() as cursor:
        pk = Franchise._meta.pk.get_db_prep_value(franchise.pk, connection)
        cursor.execute("SELECT google_refresh_token, google_access_token FROM franchises WHERE id = %s", [pk])
        return cursor.fetchone()


def raw_connection_token_columns(franchise: Franchise) -> tuple[str | None, str | None]:
    """The refresh and access token columns of the franchise's Google connection, as stored."""
    with connection.cursor() as cursor:
        pk = Franchise._meta.pk.get_db_prep_value(franchise.pk, connection)
        cursor.execute(
            "SELECT c.refresh_token, c.access_token FROM google_connections c "
            "JOIN franchises f ON f.google_connection_id = c.id WHERE f.id = %s",
            [pk],
        )
        return cursor.fetchone() or (None, None)
