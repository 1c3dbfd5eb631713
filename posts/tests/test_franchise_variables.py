"""Headquarters' variables ({phone}, {coupon_code}...) filled in per franchise: in announcements
(send and edit all), repeating posts and what AI drafts are written from; a placeholder a franchise
has no value for is refused before anything is sent, naming the franchises; the settings page and
the Django admin fill the values in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from franchises.models import FranchiseVariable, FranchiseVariableValue, Membership
from franchises.services import franchise_variables_set
from generation.prompt import user_message
from posts.models import Announcement, Post, PostSeries
from posts.services import PostActionError, announcement_edit_all, announcement_schedule
from posts.services.announcements import announcement_placeholder_problems
from posts.services.series import series_create
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=2)


@pytest.fixture
def coupon():
    return FranchiseVariable.objects.create(key="coupon_code", label="Coupon code")


@pytest.fixture
def hq():
    return make_user(superuser=True)


def _send(franchises, template, user):
    day = (timezone.now() + DAY).date()
    return announcement_schedule(franchises=franchises, template=template, date=day, local_time=dt.time(9), user=user)


def test_an_announcement_fills_in_each_franchises_own_value(coupon, hq):
    austin, boston = make_franchise(name="Austin"), make_franchise(name="Boston")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    franchise_variables_set(franchise=boston, values={"coupon_code": "BOS15"})
    _send([austin, boston], "Show {coupon_code} at {name}.", hq)
    assert dict(Post.objects.values_list("franchise__name", "summary")) == {
        "Austin": "Show AUS10 at Austin.",
        "Boston": "Show BOS15 at Boston.",
    }


def test_a_franchise_without_a_value_refuses_the_announcement_naming_it_and_nothing_is_sent(coupon, hq):
    austin, boston, dayton = make_franchise(name="Austin"), make_franchise(name="Boston"), make_franchise(name="Dayton")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    with pytest.raises(PostActionError) as refused:
        _send([austin, boston, dayton], "Show {coupon_code}.", hq)
    message = str(refused.value)
    assert "Boston: It has no value for {coupon_code}" in message and "Dayton: It has no value" in message
    assert "Austin" not in message
    assert not Post.objects.exists() and not Announcement.objects.exists()


def test_an_unknown_placeholder_lists_the_variables_that_exist(coupon):
    assert announcement_placeholder_problems(template="Show {coupon} or {Coupon_Code}.") == [
        "{coupon} is not a placeholder. The text can use {name}, {city}, {coupon_code}, in lower case.",
        "{Coupon_Code} is not a placeholder. Did you mean {coupon_code}? The text can use {name}, {city}, "
        "{coupon_code}, in lower case.",
    ]


def test_edit_all_with_a_variable_some_franchises_lack_names_them_and_changes_nothing(coupon, hq):
    austin, boston = make_franchise(name="Austin"), make_franchise(name="Boston")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    [post, _] = _send([austin, boston], "Fresh at {name}.", hq)
    with pytest.raises(PostActionError, match=r"No value for \{coupon_code\} in Boston: fill it in"):
        announcement_edit_all(announcement=post.announcement, user=hq, template="Show {coupon_code} at {name}.")
    assert sorted(Post.objects.values_list("summary", flat=True)) == ["Fresh at Austin.", "Fresh at Boston."]


def test_a_repeating_post_fills_in_the_franchises_value_in_each_post_and_refuses_one_it_lacks(coupon):
    austin = make_franchise(name="Austin")
    start = (timezone.now() + DAY).date()
    arguments = {"user": None, "rule": "FREQ=WEEKLY;COUNT=2", "starts_on": start, "local_time": dt.time(9)}
    with pytest.raises(PostActionError, match=r"no value for \{coupon_code\}"):
        series_create(franchise=austin, summary="Show {coupon_code} in {name}.", **arguments)
    assert not PostSeries.objects.exists()
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    series_create(franchise=austin, summary="Show {coupon_code} in {name}.", **arguments)
    assert set(Post.objects.values_list("summary", flat=True)) == {"Show AUS10 in Austin."}
    assert Post.objects.count() == 2


def test_ai_drafts_are_written_from_the_variables_and_the_profile_may_name_them(coupon):
    FranchiseVariable.objects.create(key="manager", label="Manager's name", position=1)
    austin = make_franchise(name="Austin", description="Ask {manager} about {coupon_code}.")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10", "manager": "Ann"})
    message = user_message(franchise=austin, slot_at=timezone.now() + DAY, recent_summaries=[])
    assert "About: Ask Ann about AUS10." in message
    assert "Coupon code: AUS10\nManager's name: Ann" in message


def test_an_empty_value_removes_it(coupon):
    austin = make_franchise(name="Austin")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    franchise_variables_set(franchise=austin, values={"coupon_code": "  "})
    assert not FranchiseVariableValue.objects.exists()


def test_a_variable_may_not_take_a_built_in_placeholders_key():
    with pytest.raises(ValidationError, match="filled in from the franchise itself"):
        FranchiseVariable(key="city", label="City").full_clean()


def test_a_franchise_admin_fills_the_values_in_on_the_settings_page(client, coupon):
    austin = make_franchise(name="Austin", timezone="America/Chicago")
    logged_in(client, make_member(austin, Membership.Role.ADMIN))
    url = reverse("franchises:settings", args=[austin.pk])
    page = client.get(url).content.decode()
    assert 'id="variables-fields"' in page and "Used as {coupon_code}." in page
    data = {"timezone": "America/Chicago", "tone": "friendly", "posts_per_week": 2, "var_coupon_code": "AUS10"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert FranchiseVariableValue.objects.get(franchise=austin).value == "AUS10"


def test_the_django_admin_shows_the_values_on_the_franchises_page(client, coupon):
    austin = make_franchise(name="Austin")
    franchise_variables_set(franchise=austin, values={"coupon_code": "AUS10"})
    logged_in(client, make_user(superuser=True))
    page = client.get(reverse("admin:franchises_franchise_change", args=[austin.pk])).content.decode()
    assert "AUS10" in page
    assert client.get(reverse("admin:franchises_franchisevariable_changelist")).status_code == 200
