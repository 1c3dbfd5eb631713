"""A calendar you can work in: move a scheduled post to another day at the same local time (by
drag, through its script's request, or by its Move page without JavaScript), and write a new
post for a day from the calendar."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post, PostEvent
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sunday_29_november():
    with time_machine.travel(dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


UTC = dt.UTC
# Thu 3 Dec 2026, 09:30 in Berlin (CET, UTC+1).
PLANNED = dt.datetime(2026, 12, 3, 8, 30, tzinfo=UTC)


@pytest.fixture
def franchise():
    return make_franchise(name="Berlin Bakery", timezone="Europe/Berlin")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


@pytest.fixture
def scheduled(franchise):
    return make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=PLANNED)


def test_the_calendar_offers_drag_a_move_link_and_a_new_post_per_day(client, franchise, staff, scheduled):
    body = client.get(reverse("posts:calendar", args=[franchise.pk]), {"date": "2026-12-01"}).content.decode()
    move = reverse("posts:move", args=[scheduled.pk])
    assert f'data-move-url="{move}"' in body and f'href="{move}" class="move-link"' in body
    new = reverse("posts:new", args=[franchise.pk])
    assert f'href="{new}?at=2026-12-10T09:00" class="day-new"' in body
    assert f'href="{new}?at=2026-11-20T09:00"' not in body  # no new post on a day gone by
    assert "/static/js/calendar.js" in body


def test_the_script_moves_a_post_to_another_day_at_the_same_local_time(client, franchise, staff, scheduled):
    response = client.post(
        reverse("posts:move", args=[scheduled.pk]), {"day": "2026-12-07"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 204
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == dt.datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # Mon 7 Dec, 09:30 CET
    event = PostEvent.objects.get(post=scheduled)
    assert (event.action, event.actor) == (PostEvent.Action.SCHEDULED, staff)
    page = client.get(reverse("posts:calendar", args=[franchise.pk]))
    assert "Moved to Mon 7 Dec 2026, 09:30." in messages_of(page)


def test_a_move_keeps_the_local_time_across_a_daylight_saving_change(client, staff):
    chicago = make_franchise(timezone="America/Chicago")
    logged_in(client, make_member(chicago, Membership.Role.STAFF))
    post = make_post(
        franchise=chicago, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2027, 3, 12, 15, tzinfo=UTC)
    )
    client.post(reverse("posts:move", args=[post.pk]), {"day": "2027-03-15"})  # 09:00 CST -> 09:00 CDT
    post.refresh_from_db()
    assert post.scheduled_at == dt.datetime(2027, 3, 15, 14, tzinfo=UTC)


def test_the_script_is_told_why_a_move_is_refused(client, franchise, staff, scheduled):
    response = client.post(
        reverse("posts:move", args=[scheduled.pk]), {"day": "2026-11-20"}, HTTP_X_REQUESTED_WITH="fetch"
    )
    assert response.status_code == 409
    assert response.content.decode() == "Not moved: That time has passed; pick a day ahead."
    draft = make_post(franchise=franchise, scheduled_at=PLANNED)
    response = client.post(reverse("posts:move", args=[draft.pk]), {"day": "2026-12-07"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 409 and "Only a scheduled post can be moved" in response.content.decode()


def test_the_move_page_works_without_javascript(client, franchise, staff, scheduled):
    url = reverse("posts:move", args=[scheduled.pk])
    body = client.get(url).content.decode()
    assert 'name="day"' in body and 'value="2026-12-03"' in body
    response = client.post(url, {"day": "2026-12-05"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("posts:calendar", args=[franchise.pk]))
    scheduled.refresh_from_db()
    assert scheduled.scheduled_at == dt.datetime(2026, 12, 5, 8, 30, tzinfo=UTC)


def test_a_new_post_from_a_calendar_day_starts_with_that_day_and_time(client, franchise, staff):
    body = client.get(reverse("posts:new", args=[franchise.pk]), {"at": "2026-12-10T09:00"}).content.decode()
    assert 'value="2026-12-10T09:00"' in body
    body = client.get(reverse("posts:new", args=[franchise.pk]), {"at": "2020-01-01T09:00"}).content.decode()
    assert 'value="2020-01-01T09:00"' not in body  # a day gone by is not offered
    assert client.get(reverse("posts:new", args=[franchise.pk]), {"at": "nonsense"}).status_code == 200
