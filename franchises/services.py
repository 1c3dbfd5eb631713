"""Writes of franchises and their memberships."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from gbp_scheduler.throttle import allowance_take
from gbp_scheduler.times import when_text

from .holds import hold_ended_tell
from .models import (
    ApprovalPolicy,
    Franchise,
    FranchiseEvent,
    FranchiseVariable,
    FranchiseVariableValue,
    Invitation,
    Membership,
)
from .selectors import (
    InvitationUnusable,
    invitation_check_usable,
    invitation_link_token,
    invitation_refusal_for,
    invitations_open_of_franchise,
)


def _digest(value: str) -> str:
    """A cache-key-safe stand-in for an email address (and no address kept in the cache)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class FranchiseError(Exception):
    """A change to a franchise refused for a reason the person can act on (shown as a message)."""


@transaction.atomic
def franchise_create(
    *, name: str, timezone: str = "UTC", actor: AbstractBaseUser | None = None, **profile
) -> Franchise:
    franchise = Franchise(name=name, timezone=timezone, **profile)
    franchise.full_clean()
    franchise.save()
    _history(franchise.pk, actor, FranchiseEvent.Action.CREATED, f"Added as {franchise.name}.")
    return franchise


@transaction.atomic
def franchise_rename(*, franchise: Franchise, name: str, actor: AbstractBaseUser | None = None) -> Franchise:
    old = franchise.name
    franchise.name = name
    franchise.full_clean()
    franchise.save(update_fields=["name", "updated_at"])
    if name != old:
        _history(franchise.pk, actor, FranchiseEvent.Action.RENAMED, f"From {old} to {name}.")
    return franchise


def franchise_approval_policy_set(
    *, franchise: Franchise, policy: str, actor: AbstractBaseUser | None = None
) -> Franchise:
    """Headquarters sets who approves the franchise's posts (blank: the group's default). Posts
    already waiting keep waiting for whom they were sent to. In the franchise's history."""
    if policy not in ("", *ApprovalPolicy.values):
        raise FranchiseError(f"Unknown approval policy {policy!r}.")
    old = franchise.get_approval_policy_display()
    if policy != franchise.approval_policy:
        franchise.approval_policy = policy
        franchise.save(update_fields=["approval_policy", "updated_at"])
        new = franchise.get_approval_policy_display()
        _history(franchise.pk, actor, FranchiseEvent.Action.APPROVAL_POLICY, f"From {old!r} to {new!r}.")
    return franchise


def franchise_active_set(*, franchise: Franchise, active: bool, actor: AbstractBaseUser | None = None) -> bool:
    """Deactivate (nothing more is published or drafted for it; its posts stay, and what Google
    was already sent is still finished there) or reactivate a franchise. A franchise is never
    deleted: its posts' copies on Google stay managed. False when it already was so."""
    try:
        with transaction.atomic():
            changed = Franchise.objects.filter(pk=franchise.pk, is_active=not active).update(
                is_active=active, updated_at=timezone.now()
            )
            if changed:
                action = FranchiseEvent.Action.REACTIVATED if active else FranchiseEvent.Action.DEACTIVATED
                _history(franchise.pk, actor, action, "")
                if active:  # posts whose time passed while it was inactive wait for a person
                    hold_ended_tell(franchise_ids=[franchise.pk], why="inactive", user=actor)
    except IntegrityError:
        holder = (
            Franchise.objects.filter(
                is_active=True,
                google_account_id=franchise.google_account_id,
                google_location_id=franchise.google_location_id,
            )
            .exclude(pk=franchise.pk)
            .first()
        )
        raise FranchiseError(
            f"Not reactivated: {holder.name if holder else 'another active franchise'} publishes to the same "
            "location on Google. Deactivate that one first, or connect this one to another location."
        ) from None
    franchise.is_active = active
    return bool(changed)


def membership_set(*, user: AbstractBaseUser, franchise: Franchise, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(user=user, franchise=franchise, defaults={"role": role})
    return membership


# --- franchise settings and members (the dashboard's admin pages) ---------------------------

PROFILE_FIELDS = (
    "description",
    "services",
    "city",
    "website",
    "tone",
    "posts_per_week",
    "ai_drafts_enabled",
    "auto_schedule_ai_posts",
    "timezone",
)


class MembershipError(Exception):
    """A member change refused for a reason the person can act on (shown as a message)."""


@transaction.atomic
def franchise_settings_update(*, franchise: Franchise, **fields) -> Franchise:
    """Change the business profile, AI options and time zone (only the PROFILE_FIELDS)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Not a franchise setting: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(franchise, name, value)
    franchise.full_clean()
    franchise.save(update_fields=[*fields, "updated_at"])
    return franchise


def franchise_variables_set(*, franchise: Franchise, values: dict[str, str]) -> None:
    """Set the franchise's values of headquarters' variables ({key: value}); an empty value
    removes it (a text using that variable is then refused for this franchise)."""
    defined = {variable.key: variable for variable in FranchiseVariable.objects.filter(key__in=list(values))}
    unknown = set(values) - set(defined)
    if unknown:
        raise TypeError(f"Not a variable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for key, value in values.items():
            value = " ".join((value or "").split())
            if value:
                FranchiseVariableValue.objects.update_or_create(
                    franchise=franchise, variable=defined[key], defaults={"value": value}
                )
            else:
                FranchiseVariableValue.objects.filter(franchise=franchise, variable=defined[key]).delete()


def _franchise_locked(franchise: Franchise) -> Franchise:
    """Lock the franchise row so two concurrent member changes cannot both remove 'the other' admin."""
    return Franchise.objects.select_for_update().get(pk=franchise.pk)


def _other_admins(membership: Membership) -> int:
    return (
        Membership.objects.filter(franchise_id=membership.franchise_id, role=Membership.Role.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


def _history(franchise_id, actor: AbstractBaseUser | None, action: str, detail: str) -> None:
    FranchiseEvent.objects.create(franchise_id=franchise_id, actor=actor, action=action, detail=detail[:500])


@transaction.atomic
def membership_role_set(*, membership: Membership, role: str, actor: AbstractBaseUser | None = None) -> Membership:
    """Change a member's role; the franchise keeps at least one admin. In the franchise's history."""
    if role not in Membership.Role.values:
        raise MembershipError(f"Unknown role {role!r}.")
    _franchise_locked(membership.franchise)
    membership.refresh_from_db(fields=["role"])
    if membership.role == Membership.Role.ADMIN and role != Membership.Role.ADMIN and not _other_admins(membership):
        raise MembershipError("A franchise needs at least one admin: make someone else admin first.")
    if membership.role != role:
        before = membership.get_role_display().lower()
        membership.role = role
        membership.save(update_fields=["role"])
        detail = f"{membership.user.get_username()}: {before} to {membership.get_role_display().lower()}"
        _history(membership.franchise_id, actor, FranchiseEvent.Action.MEMBER_ROLE, detail)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: AbstractBaseUser | None = None) -> None:
    """Remove a member (the account stays); the last admin cannot be removed. In the history."""
    _franchise_locked(membership.franchise)
    membership.refresh_from_db(fields=["role"])
    if membership.role == Membership.Role.ADMIN and not _other_admins(membership):
        raise MembershipError("This is the franchise's last admin: make someone else admin first.")
    detail = f"{membership.user.get_username()} ({membership.get_role_display().lower()})"
    membership.delete()
    _history(membership.franchise_id, actor, FranchiseEvent.Action.MEMBER_REMOVED, detail)


# --- invitations --------------------------------------------------------------------------------
#
# A franchise's admins (and headquarters) invite people by email; nobody is added without opening
# the link sent to their address. The invite never looks for an account with the address, so its
# answer and its work (queries, email) are the same whether one exists: nothing here tells an admin
# who else uses this installation. The invitee signs in, or creates an account, on the link's page.

INVITATIONS_PER_EMAIL_PER_HOUR = 5  # sends to one address, from every franchise: no flooding an inbox


class InvitationError(Exception):
    """An invitation refused or no longer usable, for a reason the person can act on."""


def _invitation_link_sent(invitation: Invitation, *, actor: AbstractBaseUser | None) -> None:
    """A fresh link (the older ones stop working), a new expiry, and the email after commit."""
    email = invitation.email
    if not allowance_take(key=f"invitation:{_digest(email)}", limit=INVITATIONS_PER_EMAIL_PER_HOUR):
        raise InvitationError(f"{email} was sent several invitations in the last hour; wait an hour before another.")
    now = timezone.now()
    invitation.nonce = secrets.token_urlsafe(24)
    invitation.sent_at = now
    invitation.expires_at = now + dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    invitation.save()
    message = {
        "to": email,
        "franchise": invitation.franchise.name,
        "role": invitation.get_role_display().lower(),
        "inviter": actor.get_username() if actor else "Headquarters",
        "link": settings.SITE_URL + reverse("franchises:invitation_accept", args=[invitation_link_token(invitation)]),
        "expires_at": when_text(invitation.expires_at, invitation.franchise, named=True),
    }
    transaction.on_commit(lambda: _invitation_email_send(**message))


def _invitation_email_send(*, to: str, **context) -> None:
    subject = render_to_string("franchises/invitation_email_subject.txt", context).strip()
    send_mail(subject, render_to_string("franchises/invitation_email.txt", context), None, [to])


@transaction.atomic
def invitation_send(*, franchise: Franchise, email: str, role: str, actor: AbstractBaseUser | None) -> Invitation:
    """Invite `email` to the franchise with `role`, or send its open invitation again.

    1. Refuse an unknown role, and an address a member of this franchise already has (the members
       list shows it anyway).
    2. Under the franchise's row lock: the open invitation for the address, if any, gets a fresh
       link, a new expiry and the role asked now; otherwise a new invitation is made.
    3. Record it in the franchise's history; the email goes out once the transaction commits.
    """
    if role not in Membership.Role.values:
        raise InvitationError(f"Unknown role {role!r}.")
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvitationError(f"{email!r} is not an email address.") from exc
    _franchise_locked(franchise)
    if Membership.objects.filter(franchise=franchise, user__email__iexact=email).exists():
        raise InvitationError(f"{email} is already a member; change their role in the list.")
    invitation = invitations_open_of_franchise(franchise=franchise).filter(email=email).first()
    again = invitation is not None
    if invitation is None:
        invitation = Invitation(franchise=franchise, email=email)
    invitation.role = role
    invitation.invited_by = actor
    _invitation_link_sent(invitation, actor=actor)
    action = FranchiseEvent.Action.INVITATION_RESENT if again else FranchiseEvent.Action.MEMBER_INVITED
    _history(franchise.pk, actor, action, f"{email} as {invitation.get_role_display().lower()}")
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: AbstractBaseUser | None) -> Invitation:
    """Send an open invitation again, with a fresh link and expiry."""
    _franchise_locked(invitation.franchise)
    invitation.refresh_from_db()
    if not invitation.is_open:
        raise InvitationError("That invitation was already accepted or withdrawn.")
    _invitation_link_sent(invitation, actor=actor)
    detail = f"{invitation.email} as {invitation.get_role_display().lower()}"
    _history(invitation.franchise_id, actor, FranchiseEvent.Action.INVITATION_RESENT, detail)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: AbstractBaseUser | None) -> None:
    """Withdraw an open invitation: its link stops working."""
    _franchise_locked(invitation.franchise)
    invitation.refresh_from_db()
    if not invitation.is_open:
        raise InvitationError("That invitation was already accepted or withdrawn.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    _history(invitation.franchise_id, actor, FranchiseEvent.Action.INVITATION_REVOKED, invitation.email)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """`user` joins the franchise with the invitation's role; the link is used up.

    Only the account that has the invited address may (InvitationUnusable, 403, says why to any
    other). Checked again under the franchise's row lock, so a link opened twice at once makes
    one member. Someone who is a member already keeps their role (admins change roles on the
    members page)."""
    refusal = invitation_refusal_for(invitation=invitation, user=user)
    if refusal:
        raise InvitationUnusable(refusal, status=403)
    _franchise_locked(invitation.franchise)
    invitation.refresh_from_db()
    invitation_check_usable(invitation)
    membership, created = Membership.objects.get_or_create(
        franchise_id=invitation.franchise_id, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        detail = f"{user.get_username()} as {membership.get_role_display().lower()}, invited as {invitation.email}"
        _history(invitation.franchise_id, user, FranchiseEvent.Action.MEMBER_JOINED, detail)
    return membership


_NOT_IN_A_USERNAME = re.compile(r"[^\w.@+-]")


def invitation_username(invitation: Invitation) -> str:
    """The username of an account made from an invitation: its address (what Django allows of it)."""
    User = get_user_model()
    limit = User._meta.get_field(User.USERNAME_FIELD).max_length
    return _NOT_IN_A_USERNAME.sub("-", invitation.email)[:limit]


@transaction.atomic
def invitation_accept_with_new_account(*, invitation: Invitation, password: str) -> Membership:
    """A new account for the invited address (the link proves the address is theirs), signing in
    with the address as its username, then accept. The page asked for a sign-in instead when an
    account already has the address, as address or username; should one appear meanwhile, this
    stops with the same advice."""
    User = get_user_model()
    username = invitation_username(invitation)
    user = User(username=username, email=invitation.email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise InvitationUnusable(
            f"An account already signs in as {username}: sign in with it, then open the link again.", status=409
        ) from None
    return invitation_accept(invitation=invitation, user=user)
