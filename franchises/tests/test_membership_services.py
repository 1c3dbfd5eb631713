"""Member changes keep at least one admin, also when two admins act at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from franchises import services
from franchises.models import Membership
from testkit.factories import make_franchise, make_member


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_removing_each_other_at_once_leave_one_admin():
    franchise = make_franchise()
    first, second = (Membership.objects.get(user=make_member(franchise, Membership.Role.ADMIN)) for _ in range(2))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def remove(membership: Membership) -> None:
        try:
            barrier.wait()
            services.membership_remove(membership=membership)
        except services.MembershipError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=remove, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    assert Membership.objects.filter(franchise=franchise, role=Membership.Role.ADMIN).count() == 1


@pytest.mark.django_db
def test_settings_update_refuses_fields_outside_the_profile():
    franchise = make_franchise()
    with pytest.raises(TypeError):
        services.franchise_settings_update(franchise=franchise, google_auth_valid=False)


@pytest.mark.django_db
def test_settings_update_validates_the_time_zone():
    from django.core.exceptions import ValidationError

    franchise = make_franchise()
    with pytest.raises(ValidationError):
        services.franchise_settings_update(franchise=franchise, timezone="Not/AZone")
    franchise.refresh_from_db()
    assert franchise.timezone == "America/New_York"
