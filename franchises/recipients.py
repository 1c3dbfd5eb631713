"""Who gets an email about a franchise: the one answer every sender asks (the Google access
breakage, a location Google stopped taking posts from, Google's rejections and removals, failed
posts, requests to take a live post down, the weekly digest, a new low-star review).

Its active admins with an email address, less those who turned that kind of email off in their
profile (NotificationSettings). Staff, deactivated users and headquarters without a membership
are never on it; the operators (settings.ADMINS) are told through mail_admins instead.
"""

from __future__ import annotations

import enum
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.core.mail import mail_admins, send_mail
from django.db.models import Exists, OuterRef

from .models import Franchise, Membership, NotificationSettings

logger = logging.getLogger(__name__)


class AdminEmail(enum.Enum):
    """A kind of email to a franchise's admins; its value is the NotificationSettings field that
    turns it off, "" for one nobody may turn off."""

    # Google access broke, or Google stopped letting the location take posts: without it nobody
    # acts, and the franchise's posts wait for good.
    GOOGLE_BLOCKS_POSTING = ""
    # A post failed to publish, Google's review rejected it or it was removed from Google, or a
    # member asks an admin to take a live post down (posts/services/takedowns.py).
    POST_PROBLEMS = "email_post_failures"
    WEEKLY_DIGEST = "email_weekly_digest"
    LOW_STAR_REVIEW = "email_low_star_reviews"


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


def franchise_admins_tell(
    *, franchise_ids: Iterable, email: AdminEmail, message: Callable[[list[Franchise]], tuple[str, str]], about: str
) -> None:
    """Email each admin who gets `email` about these franchises once, `message(theirs)` (a subject
    and a body for their franchises, by name); the franchises nobody gets it about go to the
    operators (ADMINS) in one email. A mail outage is logged ("Could not email the admins about
    `about`"), never raised: what happened is on the franchise and its pages show it."""
    franchises = {f.pk: f for f in Franchise.objects.filter(pk__in=list(franchise_ids)).order_by("name")}
    by_admin: dict[str, list[Franchise]] = defaultdict(list)
    for address, theirs in franchise_admin_recipients(franchise_ids=franchises, email=email).items():
        by_admin[address] += [franchises[franchise_id] for franchise_id in theirs]
    covered = {f.pk for theirs in by_admin.values() for f in theirs}
    try:
        for address, theirs in sorted(by_admin.items()):
            subject, body = message(sorted(theirs, key=lambda f: f.name))
            send_mail(subject, body, None, [address])
        orphans = [f for pk, f in franchises.items() if pk not in covered]
        if orphans:
            subject, body = message(orphans)
            mail_admins(subject, f"These franchises have no admin with an email address.\n\n{body}")
    except Exception:
        logger.exception("Could not email the admins about %s", about)


# A person mentioned in a note on a post (posts/services/notes.py): the one email about a person,
# not a franchise; they may turn it off like the admins' optional ones.
MENTIONS = "email_mentions"


def mention_recipients(*, user_ids: Iterable) -> list:
    """Of these users, the active ones with an email address who did not turn mention emails off,
    by username."""
    users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True).exclude(email="")
    users = users.exclude(Exists(NotificationSettings.objects.filter(user=OuterRef("pk"), **{MENTIONS: False})))
    return list(users.order_by("username"))
