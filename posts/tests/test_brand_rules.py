"""Brand rules: one checker (posts/brand.py) for the editor, announcements, repeating posts and the
publish job; the UTM tag on the links Google gets; headquarters' page and the Django admin."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.brand import post_check
from posts.brand_rules import brand_rules_current, campaign_slug, link_tagged
from posts.models import Announcement, BrandRules, Post, PostPhoto, PostSeries
from posts.services import (
    PostActionError,
    announcement_edit_all,
    announcement_schedule,
    post_create,
    post_publish_now,
    post_schedule,
    post_update,
    posts_publish_due,
)
from posts.services.brand import brand_rules_save
from posts.services.series import series_create, series_materialise_due
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

SOON = dt.timedelta(days=2)


def _rules(**fields) -> BrandRules:
    return brand_rules_save(user=None, **fields)


def _messages(post) -> list[str]:
    return [problem.message for problem in post_check(post)]


# -- the checker --------------------------------------------------------------------------------


def test_a_word_not_allowed_is_named_with_its_rule_and_where_it_is():
    _rules(banned_phrases="cheapest\nbest in town")
    post = Post(franchise=make_franchise(), summary="Fresh bread.\nThe Cheapest loaf around.")
    problems = post_check(post)
    assert [(p.rule, p.field) for p in problems] == [("banned", "summary")]
    assert problems[0].message == (
        'Brand rule "Words not allowed": "Cheapest" in the text (line 2, character 5). Take it out or reword it.'
    )


def test_a_word_not_allowed_counts_only_as_a_whole_word():
    _rules(banned_phrases="free")
    franchise = make_franchise()
    assert _messages(Post(franchise=franchise, summary="Carefree Sundays.")) == []
    assert len(_messages(Post(franchise=franchise, summary="Free coffee!"))) == 1


def test_an_offer_must_carry_the_required_terms_and_an_update_need_not():
    _rules(offer_terms_required="While stocks last\nOne per customer")
    franchise = make_franchise()
    start = timezone.now() + SOON
    offer = Post(
        franchise=franchise,
        summary="Half price.",
        topic_type=Post.TopicType.OFFER,
        event_title="Sale",
        event_start=start,
        event_end=start + dt.timedelta(days=1),
        offer_terms="One per customer.",
    )
    problems = post_check(offer)
    assert [(p.rule, p.field) for p in problems] == [("terms", "offer_terms")]
    assert '"While stocks last"' in problems[0].message
    assert _messages(Post(franchise=franchise, summary="Half price.")) == []


def test_links_may_go_to_the_allowed_domains_and_their_subdomains_only():
    _rules(link_domains="joes.example")
    franchise = make_franchise()
    fine = Post(franchise=franchise, summary="Order at https://shop.joes.example/menu", cta_action_type="ORDER")
    fine.cta_url = "https://joes.example/order"
    assert _messages(fine) == []
    elsewhere = Post(
        franchise=franchise,
        summary="See https://rival.example/deal",
        cta_action_type="BOOK",
        cta_url="https://x.example/b",
    )
    problems = post_check(elsewhere)
    assert [(p.rule, p.field) for p in problems] == [("link_domains", "cta_url"), ("link_domains", "summary")]
    assert "https://x.example/b in the button link goes to x.example; links may go to joes.example only" in (
        problems[0].message
    )


def test_photo_minimums_need_a_photo_and_an_uploaded_one_big_enough():
    _rules(photo_required=True, photo_min_width=800, photo_min_height=600)
    franchise = make_franchise()
    assert [p.rule for p in post_check(Post(franchise=franchise, summary="No photo."))] == ["photo"]
    url = "https://photos.example/small.jpg"
    PostPhoto.objects.create(url=url, file="small.jpg", content_type="image/jpeg", width=640, height=480, size=1)
    problems = post_check(Post(franchise=franchise, summary="Small photo.", media_url=url))
    assert [p.message for p in problems] == [
        'Brand rule "Photo minimums": the photo is 640x480 pixels; photos must be at least 800x600. '
        "Upload a larger one."
    ]
    PostPhoto.objects.filter(url=url).update(width=1200, height=900)
    assert post_check(Post(franchise=franchise, summary="Big photo.", media_url=url)) == []


def test_no_rules_set_means_only_googles_checks():
    assert brand_rules_current().banned == ()
    assert _messages(Post(franchise=make_franchise(), summary="The cheapest, best in town.")) == []


# -- every way into the schedule ----------------------------------------------------------------


def test_a_post_that_breaks_a_rule_is_saved_as_a_draft_but_not_scheduled():
    _rules(banned_phrases="cheapest")
    franchise = make_franchise()
    draft = post_create(franchise=franchise, summary="The cheapest loaf.")
    assert draft.status == Post.Status.DRAFT
    with pytest.raises(PostActionError, match='Brand rule "Words not allowed": "cheapest"'):
        post_schedule(post=draft, at=timezone.now() + SOON)
    with pytest.raises(PostActionError, match="Words not allowed"):
        post_create(
            franchise=franchise,
            summary="The cheapest loaf.",
            status=Post.Status.SCHEDULED,
            scheduled_at=timezone.now() + SOON,
        )
    assert list(Post.objects.values_list("status", flat=True)) == [Post.Status.DRAFT]


def test_an_edit_of_a_scheduled_post_that_breaks_a_rule_is_refused():
    _rules(banned_phrases="cheapest")
    post = make_post(status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + SOON, summary="Good bread.")
    with pytest.raises(PostActionError, match="Words not allowed"):
        post_update(post=post, summary="The cheapest bread.")
    post.refresh_from_db()
    assert post.summary == "Good bread."


def test_an_announcement_that_breaks_a_rule_for_any_franchise_creates_nothing_and_names_it():
    _rules(link_domains="group.example")
    hq = make_user(superuser=True)
    franchises = [make_franchise(name="Austin", city="Austin"), make_franchise(name="Boston", city="Boston")]
    day = (timezone.now() + SOON).date()
    with pytest.raises(PostActionError) as refused:
        announcement_schedule(
            franchises=franchises,
            template="Visit https://{city}.other.example today.",
            date=day,
            local_time=dt.time(9),
            user=hq,
        )
    assert 'Austin: Brand rule "Allowed link domains"' in str(refused.value)
    assert "Boston:" in str(refused.value)
    assert not Post.objects.exists() and not Announcement.objects.exists()


def test_edit_all_refuses_a_text_that_breaks_a_rule_and_changes_nothing():
    hq = make_user(superuser=True)
    franchise = make_franchise(name="Austin")
    day = (timezone.now() + SOON).date()
    [post] = announcement_schedule(
        franchises=[franchise], template="Fresh at {name}.", date=day, local_time=dt.time(9), user=hq
    )
    _rules(banned_phrases="guaranteed")
    with pytest.raises(PostActionError, match="Austin: Brand rule"):
        announcement_edit_all(announcement=post.announcement, user=hq, template="Guaranteed fresh at {name}.")
    post.refresh_from_db()
    assert post.summary == "Fresh at Austin."


def test_a_repeating_post_that_breaks_a_rule_is_refused():
    _rules(banned_phrases="cheapest")
    with pytest.raises(PostActionError, match="Words not allowed"):
        series_create(
            franchise=make_franchise(),
            user=None,
            rule="FREQ=WEEKLY",
            starts_on=(timezone.now() + SOON).date(),
            local_time=dt.time(9),
            summary="The cheapest pizza.",
        )
    assert not PostSeries.objects.exists() and not Post.objects.exists()


def test_a_scheduled_post_that_breaks_a_rule_set_later_fails_with_the_rules_words_and_stays_off_google(
    sandbox, settings
):
    settings.PUBLISH_CONCURRENCY = 1  # one transaction for the whole test: the run on this thread
    franchise = franchise_connected_to_sandbox(sandbox, name="Austin")
    post = post_create(
        franchise=franchise,
        summary="The cheapest pizza.",
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now() - dt.timedelta(minutes=1),
    )
    _rules(banned_phrases="cheapest")
    counts = posts_publish_due(budget=TimeBudget(seconds=30))
    post.refresh_from_db()
    assert counts["failed"] == 1 and counts["published"] == 0
    assert post.status == Post.Status.FAILED
    assert post.last_error.startswith("Not published: it breaks the brand rules, which changed after it was scheduled.")
    assert 'Brand rule "Words not allowed": "cheapest" in the text (character 5).' in post.last_error
    assert google_posts(sandbox, franchise) == []


# -- the UTM tag --------------------------------------------------------------------------------


def test_the_utm_tag_replaces_any_utm_the_link_had_and_keeps_its_other_parameters():
    assert link_tagged("https://joes.example/menu?item=3&utm_source=fb", "spring-sale") == (
        "https://joes.example/menu?item=3&utm_source=google&utm_medium=organic&utm_campaign=spring-sale"
    )
    assert campaign_slug("Spring sale at {name}: 20% off everything this week") == "spring-sale-at-20-off"


def test_google_gets_the_button_link_tagged_with_the_announcements_campaign_and_we_keep_it_as_typed(sandbox):
    _rules(utm_tagging=True)
    hq = make_user(superuser=True)
    franchise = franchise_connected_to_sandbox(sandbox, name="Austin")
    [post] = announcement_schedule(
        franchises=[franchise],
        template="Spring sale at {name}",
        date=(timezone.now() + SOON).date(),
        local_time=dt.time(9),
        user=hq,
        cta_action_type="ORDER",
        cta_url="https://joes.example/order",
    )
    post_publish_now(post=Post.objects.get(pk=post.pk))
    [copy] = google_posts(sandbox, franchise)
    assert copy["body"]["callToAction"]["url"] == (
        "https://joes.example/order?utm_source=google&utm_medium=organic&utm_campaign=spring-sale-at"
    )
    assert Post.objects.get(pk=post.pk).cta_url == "https://joes.example/order"


def test_a_post_of_its_own_is_tagged_with_the_campaign_post(sandbox):
    _rules(utm_tagging=True)
    franchise = franchise_connected_to_sandbox(sandbox, name="Austin")
    post = post_create(
        franchise=franchise, summary="Order now.", cta_action_type="ORDER", cta_url="https://j.example/o"
    )
    post_publish_now(post=post)
    [copy] = google_posts(sandbox, franchise)
    assert copy["body"]["callToAction"]["url"].endswith("utm_campaign=post")


# -- pages --------------------------------------------------------------------------------------


def test_the_editors_check_answers_each_problem_with_its_rule_and_field(client):
    _rules(banned_phrases="cheapest")
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    url = reverse("posts:check", args=[franchise.pk])
    answer = client.post(url, {"summary": "The cheapest.", "topic_type": "STANDARD", "cta_action_type": ""}).json()
    assert [(p["rule"], p["rule_name"], p["field"]) for p in answer["problems"]] == [
        ("banned", "Words not allowed", "summary")
    ]
    fine = client.post(url, {"summary": "Good bread.", "topic_type": "STANDARD", "cta_action_type": ""}).json()
    assert fine == {"problems": []}


def test_the_editors_check_of_another_franchise_is_not_found(client):
    logged_in(client, make_member(make_franchise(), Membership.Role.STAFF))
    other = make_franchise()
    response = client.post(reverse("posts:check", args=[other.pk]), {"summary": "Hello."})
    assert response.status_code == 404


def test_the_editor_refuses_to_schedule_and_says_which_rule(client):
    _rules(banned_phrases="cheapest")
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    when = (timezone.localtime(timezone.now() + SOON, franchise.zone)).strftime("%Y-%m-%dT%H:%M")
    data = {"summary": "The cheapest.", "topic_type": "STANDARD", "cta_action_type": "", "intent": "schedule"}
    response = client.post(reverse("posts:new", args=[franchise.pk]), {**data, "scheduled_at": when})
    assert response.status_code == 200
    assert 'Brand rule "Words not allowed": "cheapest" in the text (character 5).' in html.unescape(
        response.content.decode()
    )
    assert not Post.objects.exists()


def test_headquarters_sets_the_rules_on_its_page_and_staff_may_not(client):
    hq = make_user(superuser=True)
    logged_in(client, hq)
    response = client.post(
        reverse("posts:brand_rules"),
        {"banned_phrases": "cheapest\n", "link_domains": "joes.example", "photo_min_width": 0, "photo_min_height": 0},
    )
    assert response.status_code == 302
    assert "Brand rules saved." in " ".join(messages_of(client.get(response["Location"])))
    rules = BrandRules.objects.get()
    assert (rules.banned_phrases, rules.updated_by) == ("cheapest", hq)
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.ADMIN))
    assert client.get(reverse("posts:brand_rules")).status_code in (403, 404)


def test_the_django_admin_saves_the_rules_through_the_service(client):
    hq = make_user(superuser=True)
    logged_in(client, hq)
    data = {"banned_phrases": "cheapest", "link_domains": "", "offer_terms_required": "", "photo_min_width": "0"}
    response = client.post(reverse("admin:posts_brandrules_add"), {**data, "photo_min_height": "0"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert BrandRules.objects.get().updated_by == hq
    assert client.get(reverse("admin:posts_brandrules_add")).status_code == 403  # one row only


def test_a_repeating_posts_new_day_that_breaks_a_rule_set_since_waits_as_a_draft_saying_why():
    franchise = make_franchise()
    start = (timezone.now() + SOON).date()
    series = series_create(
        franchise=franchise,
        user=None,
        rule="FREQ=DAILY;COUNT=40",
        starts_on=start,
        local_time=dt.time(9),
        summary="The cheapest pizza.",
        materialise=False,
    )
    _rules(banned_phrases="cheapest")
    series_materialise_due(budget=TimeBudget(seconds=30))
    posts = Post.objects.filter(series=series)
    assert posts.exists() and set(posts.values_list("status", flat=True)) == {Post.Status.DRAFT}
    event = posts.first().events.get()
    assert 'Not scheduled: Brand rule "Words not allowed": "cheapest"' in event.detail
