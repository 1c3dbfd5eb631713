"""Errors in sight: a summary at the top of a form page that links to each field, and one
message per mistake, worded for the form it appears on."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

EVENT = {
    "summary": "Tasting night.",
    "topic_type": "EVENT",
    "event_title": "Tasting",
    "event_start": "2031-03-02T19:00",
    "event_end": "2031-03-01T21:00",
    "cta_action_type": "",
}


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/New_York", name="Joe's Pizza", city="Austin")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _summary(body: str) -> str:
    match = re.search(r'<div class="callout error error-summary".*?</div>', body, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def test_a_past_publish_time_in_the_editor_is_summarised_at_the_top_with_a_link_to_the_field(client, franchise, staff):
    data = {"summary": "Hello", "topic_type": "STANDARD", "scheduled_at": "2020-01-01T10:00", "intent": "schedule"}
    body = client.post(reverse("posts:new", args=[franchise.pk]), data).content.decode()
    summary = _summary(body)
    assert 'tabindex="-1"' in summary and "autofocus" in summary and 'role="alert"' in summary
    assert '<a href="#id_scheduled_at" data-field="scheduled_at">Publish at: That time has passed' in summary
    # The editor has no "Publish now" button, so the message does not offer one.
    assert "publish now" not in body.lower()
    # The summary comes before the form, at the top of the page.
    assert body.index('id="form-errors"') < body.index('id="post-form"')
    assert not Post.objects.exists()


@pytest.mark.parametrize("intent", ["draft", "schedule"])
def test_an_event_ending_before_it_starts_gets_one_message_whether_drafted_or_scheduled(
    client, franchise, staff, intent
):
    data = {**EVENT, "intent": intent, "scheduled_at": "2031-02-01T10:00"}
    response = client.post(reverse("posts:new", args=[franchise.pk]), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors == {"event_end": ["An event ends before it starts: pick an end after the start."]}
    assert '<a href="#id_event_end" data-field="event_end">Ends: An event ends before it starts' in _summary(
        response.content.decode()
    )
    assert not Post.objects.exists()


def test_the_summary_links_each_field_with_an_error_on_the_announcement_page(client):
    logged_in(client, make_user(superuser=True))
    data = {"summary": "", "cta_url": "not a link", "local_time": "", "date": "", "step": "preview"}
    body = client.post(reverse("posts:announcement_new"), data).content.decode()
    summary = _summary(body)
    for field in ("franchises", "summary", "cta_url", "local_time", "date"):
        assert f'data-field="{field}"' in summary
    assert 'href="#id_franchises"' in summary and 'id="id_franchises"' in body


def test_a_page_without_errors_has_no_summary(client, franchise, staff):
    body = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert "error-summary" not in body
