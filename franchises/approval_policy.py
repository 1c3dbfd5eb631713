"""Who must approve a post before it goes out, decided once for every path that schedules one
(posts/services/approvals.py asks here).

A franchise's policy (blank: the group's default):
- `direct`: nobody; every member's posts go out as scheduled.
- `admin`: a staff member's post waits for one of the franchise's admins (or headquarters).
- `headquarters`: every post not made by headquarters waits for headquarters, the franchise's
  admins' own too (headquarters answers for what every location says).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from .models import ApprovalPolicy, Franchise, GroupSettings
from .selectors import user_is_franchise_admin, user_is_headquarters

NOBODY = ""
# Who must act, as a page says it.
APPROVER_WORDS = {
    ApprovalPolicy.ADMIN: "a franchise admin",
    ApprovalPolicy.HEADQUARTERS: "headquarters",
}


def group_approval_policy() -> str:
    row = GroupSettings.objects.filter(pk=GroupSettings.GROUP).only("approval_policy").first()
    return row.approval_policy if row else ApprovalPolicy.DIRECT


def approval_policy_of(franchise: Franchise, *, group: str | None = None) -> str:
    """The franchise's policy, or the group's default (`group`, when the caller read it already)."""
    if franchise.approval_policy:
        return franchise.approval_policy
    return group if group is not None else group_approval_policy()


def approver_needed(*, franchise: Franchise, user: AbstractBaseUser | None, group: str | None = None) -> str:
    """Who must approve a post `user` schedules for `franchise`: NOBODY, "admin" or "headquarters".
    `user` None is the system acting for nobody in particular (an AI draft that schedules itself):
    it approves nothing."""
    if user_is_headquarters(user):
        return NOBODY
    policy = approval_policy_of(franchise, group=group)
    if policy == ApprovalPolicy.DIRECT:
        return NOBODY
    if policy == ApprovalPolicy.ADMIN and user is not None and user_is_franchise_admin(user=user, franchise=franchise):
        return NOBODY
    return policy


def user_may_approve(*, user: AbstractBaseUser | None, franchise: Franchise, level: str) -> bool:
    """Whether `user` may approve a post of `franchise` that waits for `level`."""
    if user_is_headquarters(user):
        return True
    if level == ApprovalPolicy.ADMIN and user is not None and user.is_authenticated:
        return user_is_franchise_admin(user=user, franchise=franchise)
    return False
