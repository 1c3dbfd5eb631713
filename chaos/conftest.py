"""The chaos suite (`make chaos`): real `manage.py publish_scheduled` processes on PostgreSQL,
killed, starved of their database and fed failing Google answers; the end state must be every
post on Google exactly once, none lost, no lock left."""

from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.fixture
def runner_env(sandbox, settings):
    """Environment of a publish runner process: this test's database and sandbox, fast clocks."""

    def build(**overrides: str) -> dict[str, str]:
        db = connection.settings_dict
        env = {
            **os.environ,
            # application_name lets a test find the runners' connections (and only theirs).
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}?application_name=publish-runner"
            ),
            "DB_CONN_MAX_AGE": "0",
            "GOOGLE_API_BASE_URL": sandbox.url,
            "GOOGLE_CLIENT_ID": settings.GOOGLE_CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": settings.GOOGLE_CLIENT_SECRET,
            "GOOGLE_HTTP_TIMEOUT_SECONDS": "1",
            "PUBLISH_LOCK_TIMEOUT_SECONDS": "6",
            "PUBLISH_RETRY_BASE_SECONDS": "1",
            "PUBLISH_MAX_ATTEMPTS": "1000",
            "PUBLISH_CONCURRENCY": "4",
            "GOOGLE_REQUESTS_PER_MINUTE": "100000",
            "CRON_TIME_BUDGET_SECONDS": "60",
            "LOG_LEVEL": "WARNING",
            # Real processes: locks, slots and due times on the database's clock, as in production.
            "CLOCK_FROM_DATABASE": "true",
        }
        env.update(overrides)
        return env

    return build
