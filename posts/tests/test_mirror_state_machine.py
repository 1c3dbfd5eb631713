"""Google mirrors the database whatever happens in between: the state machine of
testkit/mirror_machine.py, with a budget that fits CI (MIRROR_MACHINE_EXAMPLES and
MIRROR_MACHINE_STEPS for a longer run by hand)."""

from __future__ import annotations

import pytest

from testkit.mirror_machine import budget_from_env, run_mirror_machine

pytestmark = pytest.mark.django_db(transaction=True)


def test_google_mirrors_the_database_after_any_sequence_of_actions_jobs_and_failures(sandbox, settings):
    run_mirror_machine(sandbox, settings, **budget_from_env(examples=25, steps=30))
