"""Who gets an email about a franchise: the one answer every sender asks (the Google access
breakage, a location Google stopped taking posts from, Google's rejections and removals, failed
posts, the weekly digest).

Its active admins with an email address, less those who turned that kind of email off in their
profile (NotificationSettings). Staff, deactivated users and headquarters without a membership
are never on it; the operators (settings.ADMINS) are told through mail_admins instead.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from .models import Membership, NotificationSettings


class AdminEmail(enum.Enum):
    """A kind of email to a franchise's admins; its value is the NotificationSettings field that
    turns it off, "" for one nobody may turn off."""

    # Google access broke, or Google stopped letting the location take posts: without it nobody
    # acts, and the franchise's posts wait for good.
    GOOGLE_BLOCKS_POSTING = ""
    # A post failed to publish, or Google's review rejected it, or it was removed from Google.
    POST_PROBLEMS = "email_post_failures"
    WEEKLY_DIGEST = "email_weekly_digest"


def franchise_admin_recipients(*, franchise_ids: Iterable, email: AdminEmail) -> dict[str, list]:
    """Each address that gets `email` about these franchises, sorted, with the ids of the franchises
    among them it administers. Two accounts with one address get one email."""
    admins = Membership.objects.filter(
        franchise_id__in=list(franchise_ids), role=Membership.Role.ADMIN, user__is_active=True
    ).exclude(user__email="")
    if email.value:
        admins = admins.exclude(
            Exists(NotificationSettings.objects.filter(user=OuterRef("user"), **{email.value: False}))
        )
    recipients: dict[str, list] = defaultdict(list)
    for address, franchise_id in admins.order_by("user__email", "franchise_id").values_list(
        "user__email", "franchise_id"
    ):
        if franchise_id not in recipients[address]:
            recipients[address].append(franchise_id)
    return dict(recipients)
