from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from franchises.models import Franchise, FranchiseEvent, Membership
from generation.models import GenerationQueue
from posts.models import Post
from testkit.factories import NEW_FRANCHISE_FORM, make_franchise, make_post

pytestmark = pytest.mark.django_db

REFRESH = "1//0gRefreshTokenShownNowhere"
ACCESS = "ya29.AccessTokenShownNowhere"


@pytest.fixture
def franchise(django_user_model):
    franchise = make_franchise(name="Dayton", google_refresh_token=REFRESH, google_access_token=ACCESS)
    user = django_user_model.objects.create_user("dayton-staff")
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)
    make_post(franchise=franchise, status=Post.Status.SCHEDULED)
    GenerationQueue.objects.create(
        franchise=franchise, week_start=dt.date(2026, 11, 30), slot=0, scheduled_for=timezone.now()
    )
    return franchise


@pytest.mark.parametrize(
    "model", ["franchises_franchise", "franchises_membership", "posts_post", "generation_generationqueue"]
)
def test_every_model_has_a_working_admin_list_with_search(admin_client, franchise, model):
    response = admin_client.get(reverse(f"admin:{model}_changelist"), {"q": "Dayton"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_franchise_admin_never_shows_tokens_in_clear(admin_client, franchise):
    pages = [
        admin_client.get(reverse("admin:franchises_franchise_changelist")),
        admin_client.get(reverse("admin:franchises_franchise_change", args=[franchise.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert REFRESH not in body
        assert ACCESS not in body
        assert 'name="google_refresh_token"' not in body


def test_saving_a_franchise_in_the_admin_keeps_its_tokens(admin_client, franchise):
    page = admin_client.get(reverse("admin:franchises_franchise_change", args=[franchise.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "name": "Dayton North",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "variable_values-TOTAL_FORMS": "0",
            "variable_values-INITIAL_FORMS": "0",
        }
    )
    response = admin_client.post(reverse("admin:franchises_franchise_change", args=[franchise.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    franchise.refresh_from_db()
    assert franchise.name == "Dayton North"
    assert franchise.google_refresh_token == REFRESH


def test_invitations_are_listed_read_only_without_their_link_secret(admin_client, franchise):
    from franchises.services import invitation_send

    invitation = invitation_send(franchise=franchise, email="admin-list@example.com", role="staff", actor=None)
    listing = admin_client.get(reverse("admin:franchises_invitation_changelist"), {"q": "admin-list@"})
    assert listing.status_code == 200 and listing.context["cl"].result_count == 1
    page = admin_client.get(reverse("admin:franchises_invitation_change", args=[invitation.pk]))
    assert page.status_code == 200 and invitation.nonce not in page.content.decode()


def test_a_franchise_cannot_be_deleted_in_the_admin_only_deactivated(admin_client, franchise):
    """Deleting it would forget its posts' copies on Google and its pending deletions there."""
    from posts.models import GoogleDeletion

    GoogleDeletion.objects.create(
        franchise=franchise, post_id=franchise.pk, google_post_name="accounts/1/locations/2/localPosts/3"
    )
    url = reverse("admin:franchises_franchise_delete", args=[franchise.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:franchises_franchise_changelist"),
        {"action": "deactivate", "_selected_action": [str(franchise.pk)]},
        follow=True,
    )

    franchise.refresh_from_db()
    assert response.status_code == 200 and franchise.is_active is False
    assert GoogleDeletion.objects.filter(franchise=franchise).exists()


def test_a_franchise_with_a_deletion_pending_on_google_cannot_be_deleted_at_all(franchise):
    from django.db.models import ProtectedError

    from posts.models import GoogleDeletion

    GoogleDeletion.objects.create(
        franchise=franchise, post_id=franchise.pk, google_post_name="accounts/1/locations/2/localPosts/3"
    )

    with pytest.raises(ProtectedError):
        franchise.delete()


def test_the_admin_names_its_models_in_operators_words(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert "Generation batchs" not in body and "Insights fetchs" not in body
    assert "AI draft batches" in body and "AI drafts to write" in body


def test_the_admin_keeps_google_and_sync_fields_read_only_and_picks_the_zone_from_a_menu(admin_client):
    franchise = make_franchise(name="Dayton", timezone="America/New_York")
    page = admin_client.get(reverse("admin:franchises_franchise_change", args=[franchise.pk]))
    form = page.context["adminform"].form
    assert '<select name="timezone"' in page.content.decode()
    for internal in ("google_posts_synced_at", "google_location_can_post", "google_auth_valid", "is_active"):
        assert internal not in form.fields, internal
    assert form.fields["posts_per_week"].label == "AI drafts a week"


def test_a_franchise_added_or_renamed_in_the_admin_has_its_history(admin_client):
    add = reverse("admin:franchises_franchise_add")
    data = {**NEW_FRANCHISE_FORM, "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}
    data.update({"variable_values-TOTAL_FORMS": "0", "variable_values-INITIAL_FORMS": "0"})
    assert admin_client.post(add, data).status_code == 302
    franchise = Franchise.objects.get(name="Lisbon Bakery")
    change = reverse("admin:franchises_franchise_change", args=[franchise.pk])
    assert admin_client.post(change, {**data, "name": "Lisbon Centre"}).status_code == 302
    assert set(FranchiseEvent.objects.filter(franchise=franchise).values_list("action", flat=True)) == {
        "created",
        "renamed",
    }
