"""The state machine of testkit/mirror_machine.py with a budget for the chaos suite: more and
longer sequences, on PostgreSQL, where overlapping runs and runs racing staff are in the mix.
MIRROR_MACHINE_EXAMPLES and MIRROR_MACHINE_STEPS set a longer run by hand."""

from __future__ import annotations

import pytest

from testkit.mirror_machine import budget_from_env, run_mirror_machine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_google_mirrors_the_database_after_many_long_sequences(sandbox, settings):
    run_mirror_machine(sandbox, settings, **budget_from_env(examples=50, steps=40))
