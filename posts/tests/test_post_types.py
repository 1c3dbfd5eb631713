"""Post types as Google shows them: Update, Event and Offer are offered; an Alert made before stays
readable and editable as one, with a line saying Google no longer shows the type."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

NOTE = "Google no longer shows Alert as a post type"


@pytest.fixture
def franchise():
    return make_franchise(name="Joe's Pizza")


@pytest.fixture
def staff(client, franchise):
    return logged_in(client, make_member(franchise, Membership.Role.STAFF))


def offered(page: str) -> list[str]:
    select = page.split('name="topic_type"')[1].split("</select>")[0]
    return re.findall(r'<option value="([A-Z]+)"', select)


def test_a_new_post_is_an_update_an_event_or_an_offer(staff, franchise):
    page = staff.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert offered(page) == ["STANDARD", "EVENT", "OFFER"] and NOTE not in page

    answer = staff.post(
        reverse("posts:new", args=[franchise.pk]),
        {"summary": "Storm closure.", "topic_type": "ALERT", "cta_action_type": "", "intent": "draft"},
    )

    assert answer.status_code == 200 and not Post.objects.exists()
    assert "Select a valid choice" in answer.content.decode()


def test_an_alert_made_before_stays_readable_and_editable_as_one(staff, franchise):
    alert = make_post(franchise=franchise, topic_type=Post.TopicType.ALERT, summary="Closed for the storm.")

    detail = staff.get(reverse("posts:detail", args=[alert.pk])).content.decode()
    assert re.search(r'id="post-type">Alert<br><span class="muted" id="alert-note">' + NOTE, detail)
    edit = staff.get(reverse("posts:edit", args=[alert.pk])).content.decode()
    assert offered(edit) == ["STANDARD", "EVENT", "OFFER", "ALERT"] and NOTE in edit

    staff.post(
        reverse("posts:edit", args=[alert.pk]),
        {"summary": "Open again tomorrow.", "topic_type": "ALERT", "cta_action_type": "", "intent": "draft",
         "version": alert.version},
    )  # fmt: skip
    alert.refresh_from_db()
    assert (alert.summary, alert.topic_type) == ("Open again tomorrow.", "ALERT")


def test_an_announcement_offers_googles_types_only(client):
    headquarters = logged_in(client, make_member(make_franchise(), Membership.Role.ADMIN, is_superuser=True))
    page = headquarters.get(reverse("posts:announcement_new")).content.decode()
    assert offered(page) == ["STANDARD", "EVENT", "OFFER"]
