"""Reads of franchises, always scoped to what a user may see."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Value
from django.shortcuts import get_object_or_404
from django.utils import timezone

from gbp_scheduler.times import day_text

from .models import Franchise, GoogleConnection, Invitation, Membership


def user_is_headquarters(user: AbstractBaseUser | None) -> bool:
    """Headquarters: the role that sees and administers every franchise. Superusers hold it.

    This is the one place the role is decided: every page, API and job asks here, never
    `is_superuser` or `is_staff` directly. Django's `is_staff` flag only opens the Django admin
    site (where a user still needs model permissions); it grants nothing in the dashboard or the
    JSON API, so a franchise user who happens to have it sees only their own franchises."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def franchises_for_user(*, user: AbstractBaseUser) -> QuerySet[Franchise]:
    """Every franchise for headquarters; otherwise the franchises the user is a member of."""
    if user_is_headquarters(user):
        return Franchise.objects.all()
    if not user.is_authenticated:
        return Franchise.objects.none()
    return Franchise.objects.filter(memberships__user=user).distinct()


def of_franchises(rows: QuerySet, franchises: QuerySet[Franchise], *, field: str = "franchise") -> QuerySet:
    """The rows of `rows` (posts, figures, ...) whose `field` is one of `franchises`. Headquarters'
    franchises are every franchise (an unfiltered queryset): then no filter at all, since
    `franchise IN (every franchise)` steers the planners into reading the rows franchise by
    franchise instead of walking an index in order."""
    if not franchises.query.has_filters():
        return rows
    return rows.filter(**{f"{field}__in": franchises})


def franchise_get_for_user(*, user: AbstractBaseUser, franchise_id) -> Franchise:
    """The franchise, or 404 when it is not the user's: other tenants' ids do not exist for them."""
    return get_object_or_404(franchises_for_user(user=user), pk=franchise_id)


def user_is_franchise_admin(*, user: AbstractBaseUser, franchise: Franchise) -> bool:
    if user_is_headquarters(user):
        return True
    return Membership.objects.filter(user=user, franchise=franchise, role=Membership.Role.ADMIN).exists()


def memberships_of_franchise(*, franchise: Franchise) -> QuerySet[Membership]:
    """Members with their users, admins first."""
    return (
        Membership.objects.filter(franchise=franchise)
        .select_related("user")
        .order_by("role", "user__username")  # "admin" sorts before "staff"
    )


def franchises_administered_by(*, user: AbstractBaseUser) -> QuerySet[Franchise]:
    """The active franchises a user may connect to Google: every one for headquarters, else
    those the user is an admin of."""
    active = Franchise.objects.filter(is_active=True)
    if user_is_headquarters(user):
        return active
    return active.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN).distinct()


def connections_for_user(*, user: AbstractBaseUser) -> QuerySet[GoogleConnection]:
    """The Google connections a user may see: every one for headquarters, else those the user made
    or that a franchise they administer publishes through. Each with `franchise_count`, of the
    franchises the user may see (no page tells a franchise how many others share an account), and
    `managed`: whether the user may map its locations (connection_managed_by)."""
    connections = GoogleConnection.objects.all()
    if user_is_headquarters(user):
        return connections.annotate(franchise_count=Count("franchises", distinct=True), managed=Value(True)).order_by(
            "google_email", "pk"
        )
    administered = franchises_administered_by(user=user)
    theirs = Q(franchises__in=franchises_for_user(user=user))
    return (
        connections.filter(Q(connected_by=user) | Q(franchises__in=administered))
        .distinct()
        .annotate(
            franchise_count=Count("franchises", filter=theirs, distinct=True),
            managed=ExpressionWrapper(Q(connected_by=user), output_field=BooleanField()),
        )
        .order_by("google_email", "pk")
    )


def connection_managed_by(*, user: AbstractBaseUser, connection: GoogleConnection) -> bool:
    """Whether `user` may see and pick among every location of the connection's Google account:
    headquarters, and whoever connected that account themselves. A franchise admin whose franchise
    publishes through an account someone else connected (headquarters' shared one) sees and keeps
    only the location assigned to their franchise."""
    if user_is_headquarters(user):
        return True
    return connection.connected_by_id is not None and connection.connected_by_id == user.pk


# Who holds a location, for someone who may not see that franchise.
ANOTHER_FRANCHISE = "another franchise"


def location_holders(*, user: AbstractBaseUser | None) -> dict[str, str]:
    """{"account/location": who publishes there} over active franchises, as `user` may be told:
    the franchise's name when it is one of theirs, else ANOTHER_FRANCHISE (no page shows a
    franchise another's name). None: nobody in particular, no names."""
    visible = set(franchises_for_user(user=user).values_list("pk", flat=True)) if user is not None else set()
    rows = (
        Franchise.objects.filter(is_active=True)
        .exclude(google_location_id="")
        .values_list("pk", "google_account_id", "google_location_id", "name")
    )
    return {f"{account}/{loc}": name if pk in visible else ANOTHER_FRANCHISE for pk, account, loc, name in rows}


def connection_get_for_user(*, user: AbstractBaseUser, connection_id) -> GoogleConnection:
    """The connection, or 404 when it is not one the user may use."""
    return get_object_or_404(connections_for_user(user=user), pk=connection_id)


# --- invitations --------------------------------------------------------------------------------

INVITATION_LINK_SALT = "franchises.invitation"


class InvitationUnusable(Exception):
    """An invitation link that does not (or no longer) work; the message says what to do, `status`
    is the page's HTTP status (404: never valid, 410: valid once)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def invitations_open_of_franchise(*, franchise: Franchise) -> QuerySet[Invitation]:
    """Neither accepted nor withdrawn (expired ones too: they can be sent again), newest first."""
    return (
        Invitation.objects.filter(franchise=franchise, accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at")
    )


def invitation_get_for_admin(*, franchise: Franchise, invitation_id) -> Invitation:
    """An invitation of `franchise` (already checked to be the user's to administer), or 404."""
    return get_object_or_404(Invitation.objects.select_related("franchise"), pk=invitation_id, franchise=franchise)


def invitation_link_token(invitation: Invitation) -> str:
    """The token in the emailed link: the invitation and its current nonce, signed with SECRET_KEY."""
    return signing.dumps({"i": str(invitation.pk), "n": invitation.nonce}, salt=INVITATION_LINK_SALT)


def invitation_check_usable(invitation: Invitation) -> None:
    if invitation.revoked_at is not None:
        raise InvitationUnusable("This invitation was withdrawn. Ask the franchise's admins for a new one.", status=410)
    if invitation.accepted_at is not None:
        raise InvitationUnusable("This invitation was already used. Sign in to reach the franchise.", status=410)
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable(
            f"This invitation expired on {day_text(invitation.expires_at, invitation.franchise)}. "
            "Ask the franchise's admins to send it again.",
            status=410,
        )


def invitation_is_addressed_to(*, invitation: Invitation, user: AbstractBaseUser) -> bool:
    """Whether `user`'s account has the address the invitation was sent to. A link joins only that
    account: one forwarded, leaked or opened in someone else's signed-in browser adds nobody else.
    Compared exactly (lower-cased), not NFKC-folded as Django finds users: "ro\u017fs@" is not
    "ross@" here."""
    return (getattr(user, "email", "") or "").strip().lower() == invitation.email


def invitation_refusal_for(*, invitation: Invitation, user: AbstractBaseUser) -> str:
    """Why `user` cannot accept the invitation (blank when they can), in words for them."""
    if invitation_is_addressed_to(invitation=invitation, user=user):
        return ""
    theirs = f" ({user.email})" if getattr(user, "email", "") else " (an account without an email address)"
    return (
        f"This invitation was sent to {invitation.email}, and you are signed in as {user.get_username()}{theirs}: "
        f"it joins only the account of {invitation.email}. Sign out, then open the link again to sign in with "
        f"that account or create it. To join with this account instead, ask the franchise's admins to invite "
        f"its address."
    )


def invitation_for_token(*, token: str) -> Invitation:
    """The open invitation a link names, or InvitationUnusable saying why not: a link that was never
    valid, withdrawn, used, expired, or replaced by a newer email's."""
    try:
        data = signing.loads(token, salt=INVITATION_LINK_SALT)
        invitation = Invitation.objects.select_related("franchise", "invited_by").filter(pk=data["i"]).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        invitation = None
    if invitation is None:
        raise InvitationUnusable(
            "This invitation link is not valid. Copy the whole link from the email, or ask for a new one.", status=404
        )
    if not secrets.compare_digest(invitation.nonce, str(data.get("n", ""))):
        raise InvitationUnusable(
            "A newer invitation was sent to this address since: use the link in the latest email.", status=410
        )
    invitation_check_usable(invitation)
    return invitation


def franchises_matching(franchises: QuerySet[Franchise], *, search: str) -> QuerySet[Franchise]:
    """The franchises whose name or city contains `search` (any case); all of them when it is blank."""
    search = search.strip()
    if not search:
        return franchises
    return franchises.filter(Q(name__icontains=search) | Q(city__icontains=search))
