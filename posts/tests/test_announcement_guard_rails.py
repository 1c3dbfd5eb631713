"""Announcements' guard rails: a placeholder outside {name} and {city} (or in the wrong case) is an
error before anything is sent, a franchise without a city for {city} is told, and every active
franchise can be picked at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from posts.models import Post
from posts.services import PostActionError, announcement_schedule
from posts.services.announcements import announcement_placeholder_problems
from testkit.factories import make_franchise, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

URL = reverse("posts:announcement_new")


@pytest.fixture
def headquarters(client):
    user = make_user(superuser=True)
    logged_in(client, user)
    return user


def _data(*franchises, **fields) -> dict:
    data = {
        "franchises": [str(f.pk) for f in franchises],
        "summary": "Hello from {name}!",
        "date": "2030-12-20",
        "local_time": "09:00",
        "cta_action_type": "",
    }
    return {**data, **fields}


def test_a_placeholder_in_the_wrong_case_or_unknown_is_an_error_with_a_hint():
    assert announcement_placeholder_problems(template="{name} in {city}. {see below}") == []
    assert announcement_placeholder_problems(template="Visit {City}, {phone}!") == [
        "{City} is not a placeholder. Did you mean {city}? The text can use {name}, {city}, in lower case.",
        "{phone} is not a placeholder. The text can use {name}, {city}, in lower case.",
    ]


def test_the_form_refuses_an_unknown_placeholder_before_previewing(client, headquarters):
    franchise = make_franchise(city="Austin")
    response = client.post(URL, _data(franchise, summary="Hi {City}!", step="preview"))
    assert response.context["form"].errors["summary"][0].startswith("{City} is not a placeholder. Did you mean")
    assert 'data-testid="announcement-preview"' not in response.content.decode()
    response = client.post(URL, _data(franchise, summary="Hi {City}!", step="schedule"))
    assert not Post.objects.exists()


def test_the_service_refuses_it_too(headquarters):
    franchise = make_franchise(city="Austin")
    with pytest.raises(PostActionError, match="not a placeholder"):
        announcement_schedule(franchises=[franchise], template="{Name}", date=None, local_time=None, user=headquarters)


def test_a_franchise_without_a_city_is_told_before_scheduling(client, headquarters):
    cityless = make_franchise(name="No City Co", city="")
    body = client.post(URL, _data(cityless, summary="Hi {city}!", step="preview")).content.decode()
    assert "It has no city for {city}" in body and 'id="announcement-schedule"' not in body


def test_every_active_franchise_at_once(client, headquarters):
    franchises = [make_franchise(city="Austin") for _ in range(3)]
    make_franchise(city="Austin", is_active=False)
    body = client.get(URL).content.decode()
    assert 'name="all_franchises"' in body and "Every active franchise (3)" in body
    response = client.post(URL, _data(all_franchises="on", step="schedule"))
    assert response.status_code == 302
    assert {post.franchise_id for post in Post.objects.all()} == {f.pk for f in franchises}


def test_no_franchise_picked_says_how_to_pick(client, headquarters):
    response = client.post(URL, _data(step="preview"))
    assert response.context["form"].errors["franchises"] == [
        "Pick at least one franchise, or tick Every active franchise."
    ]
