from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from franchises.models import Franchise, FranchiseVariableValue, GoogleConnection, Membership
from gbp_scheduler.jobs import TimeBudget
from generation.models import GenerationQueue
from health.models import JobRun
from insights.models import DailyMetric, InsightsFetch, SearchKeyword
from insights.selectors import insights_ranking
from posts.brand import brand_rules_current, post_check
from posts.models import Post, PostSeries
from posts.services.publishing import posts_publish_due

pytestmark = pytest.mark.django_db


def _can_log_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


def test_seed_demo_creates_logins_franchises_posts_and_queue_once(
    settings, sandbox, django_user_model, capsys, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    settings.PUBLISH_CONCURRENCY = 1  # fetch-insights' workers would share SQLite's in-memory connection
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin / demo-admin-password" in out
    assert _can_log_in("admin", "demo-admin-password")
    assert _can_log_in("ohio-admin", "demo-franchise-admin")
    assert django_user_model.objects.get(username="admin").is_superuser
    assert Membership.objects.filter(user__username="cincy-staff", role="staff").count() == 1

    franchises = {f.name: f for f in Franchise.objects.all()}
    assert {"Cincinnati", "Dayton", "Columbus", "Akron", "Marietta"} <= set(franchises)
    assert len(franchises) == 12
    assert all(f.is_connected for f in franchises.values())
    assert franchises["Columbus"].needs_reauthorization
    assert not franchises["Dayton"].needs_reauthorization
    # The group publishes through headquarters' one Google account; Columbus through its owner's.
    assert GoogleConnection.objects.count() == 2
    group = franchises["Dayton"].google_connection
    assert group.google_email == "hq@buckeye-lawn.example" and group.franchises.count() == 11
    assert franchises["Columbus"].google_connection != group
    dayton = franchises["Dayton"]
    from franchises.google import business_profile

    titles = [
        loc["title"]
        for loc in business_profile.locations_list(
            connection=dayton.google_connection, account_id=dayton.google_account_id
        )
    ]
    assert dayton.google_location_title in titles and "Dayton" in dayton.google_location_title
    statuses = set(Post.objects.values_list("status", flat=True))
    assert {"draft", "scheduled"} <= statuses
    assert Post.objects.filter(source="ai").exists()
    assert GenerationQueue.objects.filter(status="pending").count() == 9  # 3 a week for each franchise
    # One post Google's review rejected, noticed by the sync job: its notice is open.
    rejected = Post.objects.get(google_state="REJECTED")
    assert rejected.franchise.name == "Cincinnati" and rejected.google_notice_open
    assert rejected.events.filter(action="google_rejected").exists()

    # Three months of posts and Google's figures for them, read by the fetch-insights job; the
    # revoked Columbus is skipped with the reconnect message; repeating posts scheduled.
    cincinnati = franchises["Cincinnati"]
    assert DailyMetric.objects.filter(franchise=cincinnati).values("day").distinct().count() >= 85
    assert not DailyMetric.objects.filter(franchise=franchises["Columbus"]).exists()
    assert "reconnect" in InsightsFetch.objects.get(franchise=franchises["Columbus"]).last_error
    assert Post.objects.filter(franchise=cincinnati, status="published", google_state="LIVE").count() >= 20
    ranking = insights_ranking(franchises=Franchise.objects.all())["rows"]
    assert ranking[0]["franchise"].name in {"Dayton", "Lima", "Toledo"} and ranking[0]["change"] > 0
    assert SearchKeyword.objects.filter(franchise=cincinnati, keyword="lawn care cincinnati").exists()
    # Those were the jobs' own runs: the System page shows them as run, not "Not run yet".
    ran = set(JobRun.objects.filter(ok=True).values_list("job", flat=True))
    assert {"check-posting-rights", "fetch-insights", "fetch-search-keywords", "generate-drafts"} <= ran
    # Columbus's broken grant says what happened in our words, Google's own in brackets.
    assert "Google refused to refresh the access token" in franchises["Columbus"].google_auth_error
    # Zanesville's location is not verified on Google: the check said so before any publish run,
    # and its due post waits with the reason instead of failing.
    zanesville = Franchise.objects.get(name="Zanesville")
    assert not zanesville.google_location_can_post and not zanesville.google_location_verified
    assert Franchise.objects.filter(google_location_can_post=False).count() == 1
    waiting = Post.objects.get(franchise=zanesville, status="scheduled")
    assert waiting.status == "scheduled"
    assert posts_publish_due(budget=TimeBudget(seconds=60))["skipped_cannot_post"] == 1
    waiting.refresh_from_db()
    assert waiting.status == "scheduled" and "not verified on Google" in waiting.last_error
    assert PostSeries.objects.filter(franchise=cincinnati).count() == 2
    # Headquarters' brand rules are set, and every scheduled post keeps them.
    rules = brand_rules_current()
    assert "cheapest" in rules.banned and rules.link_domains == ("example.com",) and rules.utm_tagging
    broken = [p for post in Post.objects.filter(status="scheduled") for p in post_check(post) if p.rule != "google"]
    assert broken == []
    # Headquarters' fields, filled in per franchise but for Marietta's manager.
    assert FranchiseVariableValue.objects.filter(variable__key="coupon_code").count() == 12
    assert FranchiseVariableValue.objects.filter(variable__key="manager").count() == 11
    assert Post.objects.filter(series__franchise=cincinnati, status="scheduled").count() >= 4
    # A varied series: its Monday tip takes turns with four texts.
    tips = Post.objects.filter(series__franchise=cincinnati, series__rule__contains="WEEKLY").order_by("scheduled_at")
    assert len({post.summary for post in tips[:4]}) == 4
    # Google reviews in every state the inbox shows, read by sync-reviews, of each franchise with posts.
    from reviews.models import Review

    theirs = Review.objects.filter(franchise=cincinnati)
    assert theirs.count() == 6
    assert theirs.filter(google_reply__isnull=True, draft_text="").count() == 2
    assert theirs.exclude(draft_text="").get().draft_source == "ai"
    assert set(theirs.exclude(google_reply=None).values_list("google_reply_state", flat=True)) == {
        "APPROVED",
        "PENDING",
        "REJECTED",
    }
    assert theirs.get(google_reply_state="REJECTED").policy_violation == {"policy": "Contains personal information"}
    assert "sync-reviews" in set(JobRun.objects.filter(ok=True).values_list("job", flat=True))

    # An announcement with its text locked; Dayton's post has its own button; a note mentions an admin.
    from posts.models import Announcement, PostNote

    announcement = Announcement.objects.get(locked=["text"])
    dayton_post = announcement.posts.get(franchise__name="Dayton")
    assert dayton_post.cta_url == "https://dayton.example.com/spring"
    assert announcement.posts.get(franchise__name="Cincinnati").cta_url == "https://www.example.com/spring"
    note = PostNote.objects.get()
    assert note.post.announcement == announcement and [u.username for u in note.mentioned.all()] == ["ohio-admin"]

    call_command("seed_demo")
    assert django_user_model.objects.count() == 3
    assert Franchise.objects.count() == 12


def test_seed_demo_refuses_to_run_outside_debug(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not django_user_model.objects.exists()
