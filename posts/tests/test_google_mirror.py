"""Google mirrors the database: whatever staff, the admin, the jobs and Google's failures do in
between, after a run each published post is on Google once with the row's current fields, each
deleted post is gone from Google, and nothing is on Google that the database does not know."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import GoogleDeletion, Post
from posts.services import (
    PostActionError,
    PostChangedError,
    post_check_editable,
    post_delete,
    post_publish_now,
    post_schedule,
    post_unschedule,
    post_update,
)
from posts.services.publishing import posts_publish_due
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _one_worker(settings):
    settings.PUBLISH_CONCURRENCY = 1
    settings.GOOGLE_HTTP_TIMEOUT_SECONDS = 1.0


def run(seconds: float = 60, **kwargs) -> dict:
    return posts_publish_due(budget=TimeBudget(seconds=seconds), **kwargs)


def due_post(franchise, **fields) -> Post:
    fields.setdefault("scheduled_at", timezone.now() - dt.timedelta(minutes=1))
    return make_post(franchise=franchise, status=Post.Status.SCHEDULED, **fields)


def assert_google_mirrors(sandbox, franchise) -> None:
    """Every published post once on Google with its current text; nothing else there."""
    live = {item["name"]: item["summary"] for item in google_posts(sandbox, franchise)}
    published = dict(
        Post.objects.filter(franchise=franchise, status=Post.Status.PUBLISHED).values_list(
            "google_post_name", "summary"
        )
    )
    assert live == published
    assert not Post.objects.filter(franchise=franchise, google_needs_update=True).exists()


def after_backoff(post: Post):
    post.refresh_from_db()
    return time_machine.travel(post.next_attempt_at + dt.timedelta(seconds=1), tick=True)


def lost_create(sandbox, franchise, **fields) -> Post:
    """A scheduled post whose create reached Google but whose answer was lost."""
    post = due_post(franchise, **fields)
    sandbox.client.drop("posts.create", after_commit=True)
    assert run()["deferred"] == 1
    post.refresh_from_db()
    assert post.google_create_sent_at is not None and len(google_posts(sandbox, franchise)) == 1
    return post


# --- 1. an edit made while the post waits its turn in a run -----------------------------------------


def test_an_edit_saved_while_a_post_waits_its_turn_in_a_run_reaches_google(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    due_post(franchise, summary="first", scheduled_at=timezone.now() - dt.timedelta(minutes=5))
    second = due_post(franchise, summary="second, with a typo")

    def edit_the_second(result) -> None:  # staff save while the run works on the first post
        if result.post_id != str(second.pk):
            post_update(post=Post.objects.get(pk=second.pk), summary="second, fixed")

    counts = run(on_result=edit_the_second)

    second.refresh_from_db()
    assert counts["published"] == 2
    assert second.summary == "second, fixed" and second.status == Post.Status.PUBLISHED
    assert sorted(item["summary"] for item in google_posts(sandbox, franchise)) == ["first", "second, fixed"]


# --- 2. edits of a post whose create may have landed ---------------------------------------------------


def test_editing_a_post_whose_create_may_have_landed_makes_no_second_copy(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Sale on Friday, with a typo.")

    post_update(post=post, summary="Sale on Friday.")
    with after_backoff(post):
        counts = run()

    post.refresh_from_db()
    assert counts["published"] == 1 and counts["reconciled"] == 1
    assert sandbox.client.calls("posts.create") == 1
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Sale on Friday."]
    assert post.summary == "Sale on Friday." and post.google_sent_body is None
    assert_google_mirrors(sandbox, franchise)


def test_unschedule_edit_and_reschedule_after_a_lost_answer_makes_no_second_copy(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Pumpkin bread is back.")

    post = post_unschedule(post=post)
    post = post_update(post=post, summary="Pumpkin bread is back, all month.")
    post_schedule(post=post, at=timezone.now())
    run()

    assert sandbox.client.calls("posts.create") == 1
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Pumpkin bread is back, all month."]
    assert_google_mirrors(sandbox, franchise)


def test_a_draft_whose_earlier_create_landed_is_taken_off_google_by_the_next_run(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Not ready yet.")
    post_unschedule(post=post)

    counts = run()

    post.refresh_from_db()
    assert counts["settled"] == 1
    assert google_posts(sandbox, franchise) == []
    assert post.status == Post.Status.DRAFT and post.google_create_sent_at is None


def test_a_failed_post_whose_last_create_landed_is_found_and_shown_as_published(sandbox, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 1
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="Gave up, but it got there.")
    sandbox.client.drop("posts.create", after_commit=True)
    run()
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED

    run()

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert post.google_post_name == google_posts(sandbox, franchise)[0]["name"]
    assert_google_mirrors(sandbox, franchise)


def test_editing_through_the_django_admin_after_a_lost_answer_makes_no_second_copy(admin_client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Admin typo.")
    url = reverse("admin:posts_post_change", args=[post.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(summary="Admin fixed it.", loaded_version=post.version)
    # The admin reads and shows times in the user's zone, the franchise's here.
    shown = timezone.localtime(data.pop("scheduled_at"), franchise.zone)
    data["scheduled_at_0"], data["scheduled_at_1"] = shown.strftime("%Y-%m-%d %H:%M:%S").split()
    for name in ("event_start", "event_end"):
        data.pop(name, None)
        data[f"{name}_0"] = data[f"{name}_1"] = ""

    assert admin_client.post(url, data).status_code == 302
    with after_backoff(post):
        run()

    assert sandbox.client.calls("posts.create") == 1
    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Admin fixed it."]
    assert_google_mirrors(sandbox, franchise)


# --- 3. deleting such a post -----------------------------------------------------------------------


def test_deleting_a_post_whose_create_may_have_landed_removes_the_copy_from_google(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Delete me everywhere.")

    assert post_delete(post=post) is True

    assert google_posts(sandbox, franchise) == []
    assert not GoogleDeletion.objects.exists()


def test_a_delete_google_cannot_take_now_is_finished_by_the_next_run(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="Published, then deleted while Google is down.")
    run()
    post.refresh_from_db()
    sandbox.client.fail("posts.delete", 503)

    assert post_delete(post=post) is False

    assert not Post.objects.filter(pk=post.pk).exists()
    pending = GoogleDeletion.objects.get()
    assert "503" in pending.last_error and len(google_posts(sandbox, franchise)) == 1
    with time_machine.travel(pending.next_attempt_at + dt.timedelta(seconds=1), tick=True):
        counts = run()
    assert counts["deleted_on_google"] == 1
    assert google_posts(sandbox, franchise) == [] and not GoogleDeletion.objects.exists()


# --- 4. the end of the time budget -----------------------------------------------------------------


def test_the_end_of_the_time_budget_leaves_the_posts_it_had_no_time_for_untouched(sandbox, settings):
    # A request slot a second, the first two at once (an idle quota lets publishing go one early).
    settings.GOOGLE_REQUESTS_PER_MINUTE = 60
    franchise = franchise_connected_to_sandbox(sandbox)
    posts = [due_post(franchise, summary=f"Post {n}.") for n in range(5)]

    counts = run(seconds=1.5)

    assert counts["published"] == 3 and counts["left_for_next_run"] == 2
    assert counts["deferred"] == 0 and counts["failed"] == 0
    left = Post.objects.filter(pk__in=[p.pk for p in posts], status=Post.Status.SCHEDULED)
    assert left.count() == 2
    for post in left:
        assert (post.attempts, post.next_attempt_at, post.last_error, post.publishing_at) == (0, None, "", None)
    assert run()["published"] == 2  # due at once: no backoff, and no 60 s pause of the quota


# --- 5. stale locks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("why", ["not connected", "needs reconnecting", "inactive"])
def test_a_stale_lock_on_a_franchise_the_job_skips_is_released(sandbox, settings, why):
    franchise = franchise_connected_to_sandbox(sandbox)
    if why == "not connected":
        franchise.google_refresh_token = None
    elif why == "needs reconnecting":
        franchise.google_auth_valid = False
    else:
        franchise.is_active = False
    franchise.save()
    stale = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 5)
    post = due_post(franchise, publishing_at=stale)

    assert run()["locks_released"] == 1

    post.refresh_from_db()
    assert post.publishing_at is None
    post_unschedule(post=post)  # staff can act on it again


def test_staff_may_act_on_a_post_whose_lock_is_stale_but_not_on_a_live_one(client, settings):
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    stale = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 5)
    post = make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=stale)

    post_check_editable(post=post)
    page = client.get(reverse("posts:detail", args=[post.pk])).content.decode()
    assert 'id="locked-message"' not in page
    assert client.get(reverse("posts:edit", args=[post.pk])).status_code == 200
    post = post_update(post=post, summary="Edited after its publisher died.")
    assert post.publishing_at is None and post.summary == "Edited after its publisher died."

    live = make_post(franchise=franchise, status=Post.Status.SCHEDULED, publishing_at=timezone.now())
    with pytest.raises(PostActionError, match="being published right now"):
        post_update(post=live, summary="No.")


# --- 6. edits racing a publish, and two editors ---------------------------------------------------------


def test_an_edit_racing_a_publish_is_not_saved_over_the_published_row(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="As published.")
    read_by_the_editor = Post.objects.get(pk=post.pk)
    run()  # the job publishes it while the editor types

    with pytest.raises(PostChangedError) as refused:
        post_update(post=read_by_the_editor, summary="Typed meanwhile.")

    assert refused.value.current.status == Post.Status.PUBLISHED
    assert refused.value.current.summary == "As published."
    assert_google_mirrors(sandbox, franchise)


def test_a_second_editor_of_a_published_post_is_told_and_google_agrees_with_the_database(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="Original.")
    post_publish_now(post=post)
    first = Post.objects.get(pk=post.pk)
    second = Post.objects.get(pk=post.pk)

    post_update(post=first, summary="The first editor's text.")
    with pytest.raises(PostChangedError) as refused:
        post_update(post=second, summary="The second editor's text.")

    assert refused.value.current.summary == "The first editor's text."
    assert sandbox.client.calls("posts.patch") == 1
    assert_google_mirrors(sandbox, franchise)


def test_the_editor_page_shows_the_current_text_when_someone_else_saved_first(client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    post = make_post(franchise=franchise, summary="Original.")
    url = reverse("posts:edit", args=[post.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    post_update(post=post, summary="Saved by someone else.")

    data.update(summary="My version.", intent="draft")
    answer = client.post(url, data)

    assert answer.status_code == 409
    page = answer.content.decode()
    assert "Someone else changed this post" in page and "Saved by someone else." in page
    assert "My version." in page  # what the person typed is kept
    assert Post.objects.get(pk=post.pk).summary == "Saved by someone else."

    data["version"] = answer.context["form"]["version"].value()  # saving again is a deliberate choice
    assert client.post(url, data).status_code == 302
    assert Post.objects.get(pk=post.pk).summary == "My version."


def test_a_patch_that_may_have_landed_is_undone_by_the_next_run(sandbox, settings):
    """The editor's PATCH timed out after Google applied it: nothing is saved here, so the next
    run sets Google back to the row."""
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="Kept.")
    post_publish_now(post=post)
    sandbox.client.hang("posts.patch", seconds=2, after_commit=True)

    with pytest.raises(Exception, match="may or may not have been applied"):
        post_update(post=Post.objects.get(pk=post.pk), summary="Lost in the timeout.")

    assert [item["summary"] for item in google_posts(sandbox, franchise)] == ["Lost in the timeout."]
    assert run()["updated_on_google"] == 1
    assert_google_mirrors(sandbox, franchise)


def test_a_published_post_whose_editor_died_mid_patch_is_set_back_on_google(sandbox, settings):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="The row's text.")
    post_publish_now(post=post)
    post.refresh_from_db()
    from franchises.google import business_profile

    # An editor took the lock, patched Google, and died before saving.
    stale = timezone.now() - dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS + 5)
    Post.objects.filter(pk=post.pk).update(publishing_at=stale)
    business_profile.local_post_patch(
        franchise=franchise, name=post.google_post_name, body={"summary": "Half-done edit."}, update_mask=["summary"]
    )

    counts = run()

    assert counts["locks_released"] == 1 and counts["updated_on_google"] == 1
    assert_google_mirrors(sandbox, franchise)


# --- 7. dates ------------------------------------------------------------------------------------------


def test_an_event_ending_in_the_year_10000_utc_is_refused_by_the_editor(client):
    franchise = make_franchise(timezone="America/New_York")
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    answer = client.post(
        reverse("posts:new", args=[franchise.pk]),
        {
            "summary": "Forever sale.",
            "topic_type": "EVENT",
            "event_title": "Forever",
            "event_start": "2026-12-01T09:00",
            "event_end": "9999-12-31T23:59",
            "intent": "draft",
        },
    )
    assert answer.status_code == 200
    assert "between the years 2000 and 2100" in answer.content.decode()
    assert not Post.objects.exists()


def test_services_and_the_database_refuse_dates_outside_the_range():
    franchise = make_franchise()
    far = dt.datetime(2101, 6, 1, tzinfo=dt.UTC)
    with pytest.raises(PostActionError, match="between the years 2000 and 2100"):
        post_schedule(post=make_post(franchise=franchise), at=far)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        post_update(post=make_post(franchise=franchise), event_start=dt.datetime(1999, 1, 1, tzinfo=dt.UTC))
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=far)
    with pytest.raises(IntegrityError), transaction.atomic():
        now = timezone.now()
        make_post(franchise=franchise, event_start=now, event_end=now - dt.timedelta(hours=1))


@pytest.mark.parametrize(
    "url, query",
    [
        ("posts:calendar", {"date": "0001-01-01"}),
        ("posts:calendar", {"date": "9999-12-31"}),
        ("posts:calendar", {"date": "9999-12-31", "view": "week"}),
        ("posts:franchise_list", {"date_to": "9999-12-31"}),
        ("posts:franchise_list", {"date_from": "0001-01-01"}),
    ],
)
def test_pages_answer_an_out_of_range_date_in_the_query_without_an_error(client, url, query):
    franchise = make_franchise()
    logged_in(client, make_member(franchise, Membership.Role.STAFF))
    assert client.get(reverse(url, args=[franchise.pk]), query).status_code == 200


def test_a_row_with_an_unreadable_date_fails_alone_and_the_other_franchises_publish(sandbox):
    """Planted past the constraints, straight in the database: year 10000 in UTC on PostgreSQL
    (which psycopg cannot read back), year 1 on SQLite (which no zone can convert)."""
    from django.db import connection

    bad_franchise = franchise_connected_to_sandbox(sandbox)
    bad = due_post(bad_franchise, summary="Planted.", topic_type="EVENT", event_title="Forever")
    good = [due_post(franchise_connected_to_sandbox(sandbox), summary=f"Fine {n}.") for n in range(3)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts are checked first
            cursor.execute("ALTER TABLE posts DROP CONSTRAINT posts_event_end_in_range")
            cursor.execute(
                "UPDATE posts SET event_start = now(), event_end = '10000-01-01 04:59:00+00' WHERE id = %s",
                [bad.pk.hex],
            )
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            cursor.execute(
                "UPDATE posts SET event_start = '0001-01-01 00:00:00', event_end = '0001-01-02 00:00:00' WHERE id = %s",
                [bad.pk.hex],
            )
            cursor.execute("PRAGMA ignore_check_constraints = OFF")

    counts = run()

    assert counts["published"] == 3 and counts["failed"] == 1
    assert Post.objects.filter(pk__in=[p.pk for p in good], status=Post.Status.PUBLISHED).count() == 3
    status, lock, error = Post.objects.filter(pk=bad.pk).values_list("status", "publishing_at", "last_error").get()
    assert status == Post.Status.FAILED and lock is None
    assert "dates" in error


# --- 9. the reconcile --------------------------------------------------------------------------------


def test_a_text_with_windows_line_breaks_is_found_on_google_after_a_lost_answer(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = lost_create(sandbox, franchise, summary="Line one\r\nLine two\r\n")
    assert google_posts(sandbox, franchise)[0]["summary"] == "Line one\nLine two"  # as Google keeps it

    with after_backoff(post):
        assert run()["reconciled"] == 1
    assert sandbox.client.calls("posts.create") == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_create_answered_with_a_server_error_is_looked_for_before_creating_again(sandbox, status):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.fail("posts.create", status, after_commit=True)
    assert run()["deferred"] == 1

    with after_backoff(post):
        assert run()["reconciled"] == 1
    assert sandbox.client.calls("posts.create") == 1
    assert len(google_posts(sandbox, franchise)) == 1


def test_a_create_answered_200_without_a_readable_body_is_looked_for_before_creating_again(sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise)
    sandbox.client.garble("posts.create")
    assert run()["deferred"] == 1

    with after_backoff(post):
        assert run()["reconciled"] == 1
    assert len(google_posts(sandbox, franchise)) == 1


def test_the_admin_keeps_the_lock_marker_attempts_and_googles_fields_read_only(admin_client):
    post = make_post(status=Post.Status.SCHEDULED, scheduled_at=timezone.now() + dt.timedelta(days=1))
    form = admin_client.get(reverse("admin:posts_post_change", args=[post.pk])).context["adminform"].form
    for name in ("publishing_at", "google_create_sent_at", "attempts", "google_post_name", "google_state", "version"):
        assert name not in form.fields


def test_saving_a_whole_row_in_the_admin_cannot_undo_a_concurrent_publish(admin_client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = due_post(franchise, summary="Published while the admin page was open.")
    url = reverse("admin:posts_post_change", args=[post.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    # The admin reads and shows times in the user's zone, the franchise's here.
    shown = timezone.localtime(data.pop("scheduled_at"), franchise.zone)
    data["scheduled_at_0"], data["scheduled_at_1"] = shown.strftime("%Y-%m-%d %H:%M:%S").split()
    for name in ("event_start", "event_end"):
        data.pop(name, None)
        data[f"{name}_0"] = data[f"{name}_1"] = ""
    run()  # the job publishes it meanwhile

    assert admin_client.post(url, data).status_code == 302

    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED and post.google_post_name
    assert_google_mirrors(sandbox, franchise)


def test_a_status_change_in_the_admin_goes_through_the_services(admin_client, sandbox):
    franchise = franchise_connected_to_sandbox(sandbox)
    post = make_post(franchise=franchise, summary="Draft in the admin.")
    url = reverse("admin:posts_post_change", args=[post.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.pop("scheduled_at")
    data.update(status="published", scheduled_at_0="", scheduled_at_1="")
    for name in ("event_start", "event_end"):
        data.pop(name, None)
        data[f"{name}_0"] = data[f"{name}_1"] = ""

    answer = admin_client.post(url, data)

    assert answer.status_code == 200  # the form again, with the reason
    assert "the publish job publishes and fails posts" in answer.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT and google_posts(sandbox, franchise) == []

    assert admin_client.post(reverse("admin:posts_post_delete", args=[post.pk]), {"post": "yes"}).status_code == 302
    assert not Post.objects.filter(pk=post.pk).exists()
