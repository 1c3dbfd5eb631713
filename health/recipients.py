"""Who is emailed about a franchise: its active admins with an email address who have not turned
that email off in their profile (NotificationSettings)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from franchises.models import Franchise, Membership

from .models import NotificationSettings


def franchise_admin_emails(*, franchise: Franchise, wanting: str) -> list[str]:
    """The addresses, sorted and each once, of the franchise's admins who want `wanting` (a
    NotificationSettings field: email_post_failures, email_weekly_digest). No settings row: they do."""
    opted_out = NotificationSettings.objects.filter(user=OuterRef("user"), **{wanting: False})
    return sorted(
        set(
            Membership.objects.filter(franchise=franchise, role=Membership.Role.ADMIN, user__is_active=True)
            .exclude(user__email="")
            .exclude(Exists(opted_out))
            .values_list("user__email", flat=True)
        )
    )
