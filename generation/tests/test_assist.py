"""The editor's AI help: a suggestion for the text of a draft or post not yet published, from one
synchronous call with the franchise's profile and the current text (the sandbox, over HTTP)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from franchises.models import Membership
from generation.models import GenerationUsage
from generation.prompt import ASSIST_ACTIONS
from generation.tests.drafting import WEBSITE, franchise_for_drafts
from posts.models import Post
from testkit.factories import make_member, make_post
from testkit.web import logged_in

pytestmark = pytest.mark.django_db
TEXT = "Fresh sourdough every morning at 7. Come early: the first dozen loaves come with free jam!"
SHORT = {"summary": "Sourdough at 7, jam for early birds."}


@pytest.fixture
def franchise():
    return franchise_for_drafts(name="Sunrise Bakery", description="Family bakery since 1998.", tone="warm")


@pytest.fixture
def staff(client, franchise):
    return logged_in(client, make_member(franchise, Membership.Role.STAFF))


def suggest(client, post, action="shorter", text=TEXT):
    return client.post(reverse("generation:assist_post", args=[post.pk]), {"ai_action": action, "summary": text})


@pytest.mark.parametrize("action", list(ASSIST_ACTIONS))
def test_each_kind_of_help_sends_the_profile_the_text_and_the_change_and_shows_a_suggestion(
    client, claude, franchise, staff, action
):
    draft = make_post(franchise=franchise, source=Post.Source.AI, summary="Old text.")
    claude.client.script_messages({"json": SHORT})

    response = suggest(client, draft, action)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="ai-suggestion"' in body and f'data-action="{action}"' in body
    assert '<textarea hidden readonly id="ai-suggestion-value">Sourdough at 7, jam for early birds.</textarea>' in body
    [request] = claude.client.anthropic_requests()
    brief = request["messages"][0]["content"]
    assert ASSIST_ACTIONS[action][1] in brief
    for fact in ("Sunrise Bakery", "Portland", WEBSITE, "Family bakery since 1998.", "Tone: warm", TEXT):
        assert fact in brief
    assert "Old text." not in brief  # the text as it is in the editor, not as saved
    assert request["output_config"]["format"]["schema"]["required"] == ["summary"]
    draft.refresh_from_db()
    assert draft.summary == "Old text."  # a suggestion changes nothing
    usage = GenerationUsage.objects.get()
    assert (usage.franchise_id, usage.purpose, usage.batch, usage.queue_row_id) == (franchise.id, "assist", False, None)


def test_a_new_post_gets_help_through_its_franchise(client, claude, franchise, staff):
    claude.client.script_messages({"json": SHORT})
    url = reverse("generation:assist_franchise", args=[franchise.pk])
    response = client.post(url, {"ai_action": "rewrite", "summary": TEXT})
    assert response.status_code == 200 and "Sourdough at 7" in response.content.decode()


def test_another_franchises_post_or_franchise_is_not_found(client, claude, staff):
    other = franchise_for_drafts(name="Elsewhere")
    post = make_post(franchise=other, summary="Theirs.")
    assert suggest(client, post).status_code == 404
    url = reverse("generation:assist_franchise", args=[other.pk])
    assert client.post(url, {"ai_action": "rewrite", "summary": TEXT}).status_code == 404
    assert claude.client.calls("messages") == 0


def test_a_published_post_gets_no_help(client, claude, franchise, staff):
    live = make_post(franchise=franchise, status=Post.Status.PUBLISHED, summary="Live.")
    response = suggest(client, live)
    assert response.status_code == 409 and "live on Google" in response.content.decode()
    assert claude.client.calls("messages") == 0


@pytest.mark.parametrize(
    ("action", "text", "problem"),
    [
        ("shorter", "x" * 3001, "at most 3,000"),
        ("shorter", "   ", "Write something first"),
        ("summarise-my-emails", TEXT, "Unknown kind of help"),
    ],
)
def test_bad_input_is_refused_without_asking_claude(client, claude, franchise, staff, action, text, problem):
    response = suggest(client, make_post(franchise=franchise), action, text)
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert claude.client.calls("messages") == 0


def test_it_takes_a_logged_in_post_with_a_csrf_token(claude, franchise):
    draft = make_post(franchise=franchise)
    url = reverse("generation:assist_post", args=[draft.pk])
    assert Client().post(url, {"ai_action": "rewrite", "summary": TEXT}).status_code == 302  # to the login
    strict = logged_in(Client(enforce_csrf_checks=True), make_member(franchise, Membership.Role.STAFF))
    assert strict.post(url, {"ai_action": "rewrite", "summary": TEXT}).status_code == 403
    assert strict.get(url).status_code == 405
    assert claude.client.calls("messages") == 0


def test_an_unusable_suggestion_is_corrected_once(client, claude, franchise, staff):
    claude.client.script_messages({"json": {"summary": "Call 503-555-0143!"}}, {"json": SHORT})
    response = suggest(client, make_post(franchise=franchise))
    assert response.status_code == 200 and "Sourdough at 7" in response.content.decode()
    second = claude.client.anthropic_requests()[1]
    assert "phone number" in second["messages"][2]["content"]
    assert GenerationUsage.objects.count() == 2  # both answers cost


def test_claude_busy_or_refusing_says_so(client, claude, franchise, staff):
    draft = make_post(franchise=franchise)
    claude.client.fail("messages", 529)
    busy = suggest(client, draft)
    assert busy.status_code == 503 and "busy" in busy.content.decode()
    claude.client.script_messages({"text": "no json"}, {"text": "still none"})
    unusable = suggest(client, draft)
    assert unusable.status_code == 502 and "not usable" in unusable.content.decode()


def test_each_user_has_an_hourly_allowance(client, claude, franchise, staff, settings):
    settings.GENERATION_ASSIST_PER_USER_PER_HOUR = 2
    draft = make_post(franchise=franchise)
    assert [suggest(client, draft).status_code for _ in range(3)] == [200, 200, 429]
    assert claude.client.calls("messages") == 2


# --- the editor shows the buttons -----------------------------------------------------------------


def test_the_editor_of_a_draft_offers_the_help_buttons_posting_to_its_suggest_url(client, claude, franchise, staff):
    draft = make_post(franchise=franchise, source=Post.Source.AI)
    body = client.get(reverse("posts:edit", args=[draft.pk])).content.decode()
    url = reverse("generation:assist_post", args=[draft.pk])
    for action, (label, _) in ASSIST_ACTIONS.items():
        assert f'id="ai-{action}"' in body and f">{label}</button>" in body
    assert f'hx-post="{url}"' in body
    new = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert f'hx-post="{reverse("generation:assist_franchise", args=[franchise.pk])}"' in new


def test_no_help_buttons_for_a_published_post_or_without_an_api_key(client, claude, franchise, staff, settings):
    live = make_post(franchise=franchise, status=Post.Status.PUBLISHED)
    assert 'id="ai-assist"' not in client.get(reverse("posts:edit", args=[live.pk])).content.decode()
    settings.ANTHROPIC_API_KEY = ""
    draft = make_post(franchise=franchise)
    assert 'id="ai-assist"' not in client.get(reverse("posts:edit", args=[draft.pk])).content.decode()
