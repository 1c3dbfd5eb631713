"""Creating and editing posts: local times, Google's rules inline, the preview, the publish lock."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from franchises.models import Membership
from posts.models import Post, PostEvent
from posts.services import post_publish_now
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/New_York", name="Joe's Pizza", city="Austin")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _data(**fields) -> dict:
    data = {"summary": "Fresh dough every morning.", "topic_type": "STANDARD", "cta_action_type": ""}
    data.update(fields)
    return data


def test_the_editor_page_has_the_form_the_counter_and_the_preview(client, franchise, staff):
    body = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    for marker in ('id="post-form"', 'id="summary"', 'id="char-count"', 'id="preview"', 'id="id_scheduled_at"'):
        assert marker in body
    assert f'hx-post="{reverse("posts:preview", args=[franchise.pk])}"' in body
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert '<label for="summary">' in body
    assert "America/New_York" in body
    assert "/static/vendor/htmx.min.js" in body
    assert "/static/js/app.js" in body


def test_saving_a_draft_creates_it_and_records_who(client, franchise, staff):
    response = client.post(reverse("posts:new", args=[franchise.pk]), _data(intent="draft"))
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("posts:detail", args=[post.pk])
    assert (post.status, post.summary, post.created_by, post.source) == (
        Post.Status.DRAFT,
        "Fresh dough every morning.",
        staff,
        Post.Source.MANUAL,
    )
    event = PostEvent.objects.get()
    assert (event.action, event.actor, event.post) == (PostEvent.Action.CREATED, staff, post)


def test_save_and_schedule_reads_the_time_in_the_franchises_zone(client, franchise, staff):
    data = _data(intent="schedule", scheduled_at="2030-06-01T09:00")
    client.post(reverse("posts:new", args=[franchise.pk]), data)
    post = Post.objects.get()
    assert post.status == Post.Status.SCHEDULED
    assert post.scheduled_at == dt.datetime(2030, 6, 1, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert list(PostEvent.objects.order_by("created_at").values_list("action", flat=True)) == ["created", "scheduled"]
    assert "Sat 1 Jun 2030, 09:00 EDT" in PostEvent.objects.get(action="scheduled").detail
    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert "Times in America/New_York" in page and "Sat 1 Jun 2030, 09:00<" in page


def test_scheduling_without_a_time_or_in_the_past_is_refused_inline(client, franchise, staff):
    url = reverse("posts:new", args=[franchise.pk])
    response = client.post(url, _data(intent="schedule"))
    assert response.status_code == 200
    assert "Pick when to publish it." in response.content.decode()
    response = client.post(url, _data(intent="schedule", scheduled_at="2020-01-01T09:00"))
    assert "That time has passed" in response.content.decode()
    assert not Post.objects.exists()


def test_google_rules_show_next_to_the_fields_when_scheduling(client, franchise, staff):
    data = _data(intent="schedule", scheduled_at="2030-06-01T09:00", topic_type="EVENT", cta_action_type="BOOK")
    response = client.post(reverse("posts:new", args=[franchise.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["event_title"] == ["An event needs a title."]
    assert form.errors["event_end"] == ["An event needs a start and an end."]
    assert form.errors["cta_url"] == ["The button needs a link."]
    body = response.content.decode()
    assert 'id="field-event_title"' in body and "An event needs a title." in body
    assert not Post.objects.exists()


def test_a_draft_may_be_saved_before_it_is_complete(client, franchise, staff):
    client.post(reverse("posts:new", args=[franchise.pk]), _data(intent="draft", topic_type="OFFER"))
    assert Post.objects.get().topic_type == "OFFER"


def test_an_offer_with_its_event_times_in_local_time(client, franchise, staff):
    data = _data(
        intent="schedule",
        scheduled_at="2030-01-10T08:00",
        topic_type="OFFER",
        event_title="Two for one",
        event_start="2030-01-10T11:00",
        event_end="2030-01-12T22:00",
        offer_coupon_code="PIZZA2",
        offer_redeem_url="https://example.com/redeem",
        offer_terms="Dine in only.",
    )
    response = client.post(reverse("posts:new", args=[franchise.pk]), data)
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == Post.Status.SCHEDULED
    assert post.event_start == dt.datetime(2030, 1, 10, 16, 0, tzinfo=UTC)  # 11:00 EST
    assert (post.offer_coupon_code, post.offer_redeem_url) == ("PIZZA2", "https://example.com/redeem")


def test_a_text_over_1500_characters_is_refused_and_previewed_as_typed(client, franchise, staff):
    response = client.post(reverse("posts:new", args=[franchise.pk]), _data(summary="x" * 1501))
    assert response.status_code == 200
    assert "Ensure this value has at most 1500 characters (it has 1501)." in response.content.decode()
    assert "1,501 / 1,500 characters" in response.content.decode()
    assert not Post.objects.exists()
    preview = client.post(reverse("posts:preview", args=[franchise.pk]), _data(summary="y" * 1501)).content.decode()
    assert "The text is 1,501 characters; Google allows 1,500." in preview
    assert 'id="preview-text">' + "y" * 1500 + "…<" in preview  # shown up to the limit, never more


def test_the_preview_refuses_a_huge_body_instead_of_sending_it_back(client, franchise, staff):
    """A 2 MB text once came back whole, on every key press."""
    response = client.post(reverse("posts:preview", args=[franchise.pk]), _data(summary="z" * 2_000_000))
    assert response.status_code == 413
    assert len(response.content) < 500 and b"zzz" not in response.content
    assert b'id="body-too-large"' in response.content


def test_the_preview_has_a_per_user_rate(client, franchise, staff, settings, empty_cache):
    """Every key press (after a 400 ms pause) renders a preview: one client could ask without end."""
    settings.POST_PREVIEW_PER_USER_PER_MINUTE = 3
    url = reverse("posts:preview", args=[franchise.pk])
    answers = [client.post(url, _data()) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert b'id="preview-paused"' in answers[-1].content and b"preview-text" not in answers[-1].content
    other = logged_in(Client(), make_member(franchise, Membership.Role.STAFF))
    assert other.post(url, _data()).status_code == 200  # each user has their own


# Emoji outside the Basic Multilingual Plane: one character (code point) each for Google, two
# UTF-16 units each for a browser's String.length.
EMOJI = "\N{CROISSANT}"


def test_google_counts_code_points_so_1500_emoji_fit_and_1501_do_not(client, sandbox, staff):
    franchise = franchise_connected_to_sandbox(sandbox, name="Emoji Bakery")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    at_limit, over = EMOJI * 1500, EMOJI * 1501

    saved = client.post(reverse("posts:new", args=[franchise.pk]), _data(summary=at_limit, intent="draft"))
    assert saved.status_code == 302
    post = Post.objects.get(summary=at_limit)
    assert post_publish_now(post=post).outcome == "published"  # Google (the sandbox) takes it too
    assert google_posts(sandbox, franchise)[0]["summary"] == at_limit

    refused = client.post(reverse("posts:new", args=[franchise.pk]), _data(summary=over, intent="draft"))
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "(it has 1501)" in body and "1,501 / 1,500 characters — 1 too many" in body
    preview = client.post(reverse("posts:preview", args=[franchise.pk]), _data(summary=over)).content.decode()
    assert "The text is 1,501 characters" in preview


def test_the_counter_as_first_shown_counts_like_the_server(client, franchise, staff):
    """The page's first count (before app.js takes over) and the server's check agree: an emoji is
    one, a line break sent as CR LF is one."""
    text = EMOJI * 1498 + "\r\n" + "a"  # 1,500 characters
    response = client.post(reverse("posts:new", args=[franchise.pk]), _data(summary=text, intent="draft"))
    assert response.status_code == 302
    page = client.get(reverse("posts:edit", args=[Post.objects.get().pk])).content.decode()
    assert '<p class="char-count" id="char-count"' in page and "1,500 / 1,500 characters<" in page


def test_the_preview_looks_like_the_post_on_google(client, franchise, staff):
    data = _data(
        summary="Our new oven is here.",
        cta_action_type="ORDER",
        cta_url="https://example.com/order",
        media_url="https://example.com/oven.jpg",
        scheduled_at="2030-06-01T09:00",
    )
    response = client.post(reverse("posts:preview", args=[franchise.pk]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="preview-business">Joe&#x27;s Pizza<' in body
    assert "Sat 1 Jun 2030" in body
    assert 'src="https://example.com/oven.jpg"' in body
    assert "Our new oven is here." in body
    assert 'id="preview-cta">Order online<' in body
    assert "<html" not in body  # a partial, swapped into the page
    assert "preview-problems" not in body


def test_the_preview_is_refreshed_by_a_plain_submit_without_javascript(client, franchise, staff):
    response = client.post(reverse("posts:new", args=[franchise.pk]), _data(intent="preview", summary="Only a look."))
    assert response.status_code == 200
    assert 'id="preview-text">Only a look.<' in response.content.decode()
    assert not Post.objects.exists()


def test_editing_a_draft_records_what_changed(client, franchise, staff):
    post = make_post(franchise=franchise, summary="Old text.")
    response = client.post(reverse("posts:edit", args=[post.pk]), _data(summary="New text.", intent="draft"))
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.summary == "New text."
    event = PostEvent.objects.get()
    assert (event.action, event.actor) == (PostEvent.Action.EDITED, staff)
    assert "summary" in event.detail


def test_the_edit_form_shows_the_saved_times_in_local_time(client, franchise, staff):
    post = make_post(
        franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2030, 1, 10, 14, 30, tzinfo=UTC)
    )
    body = client.get(reverse("posts:edit", args=[post.pk])).content.decode()
    assert 'value="2030-01-10T09:30"' in body


def test_saving_a_scheduled_post_with_a_new_time_reschedules_it(client, franchise, staff):
    post = make_post(
        franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=dt.datetime(2030, 1, 10, 14, 30, tzinfo=UTC)
    )
    data = _data(summary=post.summary, scheduled_at="2030-01-11T10:00", intent="draft")  # Save keeps it scheduled
    client.post(reverse("posts:edit", args=[post.pk]), data)
    post.refresh_from_db()
    assert post.status == Post.Status.SCHEDULED
    assert post.scheduled_at == dt.datetime(2030, 1, 11, 15, 0, tzinfo=UTC)
    assert list(PostEvent.objects.values_list("action", flat=True)) == ["scheduled"]


def test_a_post_being_published_cannot_be_edited(client, franchise, staff):
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=timezone.now())
    page = client.get(reverse("posts:edit", args=[post.pk]))
    assert page.status_code == 409
    body = page.content.decode()
    assert "This post is being published right now and cannot be changed." in body
    assert 'id="post-form"' not in body
    response = client.post(reverse("posts:edit", args=[post.pk]), _data(summary="Sneaky change."))
    assert response.status_code == 409
    post.refresh_from_db()
    assert post.summary != "Sneaky change."
    assert not PostEvent.objects.exists()


def test_editing_a_published_post_updates_it_on_google(client, sandbox, staff):
    franchise = franchise_connected_to_sandbox(sandbox, name="Connected Pizza")
    member = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, member)
    post = make_post(franchise=franchise, summary="Before.")
    assert post_publish_now(post=post).outcome == "published"
    response = client.post(
        reverse("posts:edit", args=[post.pk]), _data(summary="After.", cta_action_type="CALL", intent="draft")
    )
    assert response.status_code == 302
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["After."]
    event = PostEvent.objects.get(action=PostEvent.Action.EDITED)
    assert event.actor == member
    assert "Updated on Google too." in event.detail


def test_a_published_post_must_stay_publishable(client, sandbox, staff):
    franchise = franchise_connected_to_sandbox(sandbox)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    post = make_post(franchise=franchise, summary="Before.")
    post_publish_now(post=post)
    response = client.post(reverse("posts:edit", args=[post.pk]), _data(summary="After.", cta_action_type="BOOK"))
    assert response.status_code == 200
    assert response.context["form"].errors["cta_url"] == ["The button needs a link."]
    assert sandbox.client.calls("posts.patch") == 0


def test_every_htmx_endpoint_bounds_the_body_it_takes(client, franchise, staff, settings):
    """Each URL a page posts to with htmx (as a person types, or clicks AI help) answers an oversized
    body with 413 before parsing it (gbp_scheduler.http.body_limit marks the view)."""
    templates = Path(settings.BASE_DIR) / "templates"
    with_htmx = {
        str(path.relative_to(templates)) for path in templates.rglob("*.html") if "hx-post" in path.read_text()
    }
    # The pages below render all of these; a new htmx template must be rendered here too.
    assert with_htmx == {"posts/post_form.html", "posts/series_form.html", "generation/_assist.html"}

    settings.ANTHROPIC_API_KEY = "sk-test"  # the AI help buttons show
    post = make_post(franchise=franchise)
    pages = [
        reverse("posts:new", args=[franchise.pk]),
        reverse("posts:edit", args=[post.pk]),
        reverse("posts:series_new", args=[franchise.pk]),
    ]
    endpoints = {url for page in pages for url in re.findall(r'hx-post="([^"]+)"', client.get(page).content.decode())}
    assert len(endpoints) == 4  # the previews of a post and of a repeating post, AI help for a new post and a saved one
    for url in endpoints:
        assert getattr(resolve(url).func, "max_body_bytes", None), f"{url} takes a body of any size"
        assert client.post(url, {"summary": "x" * 100_000}).status_code == 413
