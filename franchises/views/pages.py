"""The franchise pages: a list, a franchise page with its Google connection, and the admins'
settings and members pages. (Connecting to Google is in google.py.)

Thin views: scoping through `franchise_get_for_user` (404 for other tenants), the admin check
through `user_is_franchise_admin` (403), the work in `services`.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services
from ..forms import FranchiseSettingsForm, MemberAddForm, MemberRoleForm
from ..models import Franchise, Membership
from ..selectors import (
    franchise_get_for_user,
    franchises_administered_by,
    franchises_for_user,
    memberships_of_franchise,
    user_is_franchise_admin,
)


def franchise_for_admin(request: HttpRequest, franchise_id, *, what: str = "change its Google connection") -> Franchise:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    if not user_is_franchise_admin(user=request.user, franchise=franchise):
        raise PermissionDenied(f"Only the franchise's admins can {what}.")
    return franchise


@login_required
@require_GET
def franchise_list(request: HttpRequest) -> HttpResponse:
    franchises = franchises_for_user(user=request.user).order_by("name")
    can_connect_many = franchises_administered_by(user=request.user).exists()
    context = {"franchises": franchises, "can_connect_many": can_connect_many}
    return render(request, "franchises/franchise_list.html", context)


@login_required
@require_GET
def franchise_detail(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    context = {"franchise": franchise, "is_admin": user_is_franchise_admin(user=request.user, franchise=franchise)}
    return render(request, "franchises/franchise_detail.html", context)


# --- admins: settings and members ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def franchise_settings(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_for_admin(request, franchise_id, what="change its settings")
    # The form works on a copy: a rejected form must not leave bad values on the page's franchise.
    form = FranchiseSettingsForm(request.POST or None, instance=copy.copy(franchise))
    if request.method == "POST" and form.is_valid():
        services.franchise_settings_update(franchise=franchise, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("franchises:settings", franchise_id=franchise.pk)
    status = 400 if form.is_bound else 200
    return render(request, "franchises/settings.html", {"franchise": franchise, "form": form}, status=status)


def _members_page(request: HttpRequest, franchise: Franchise, add_form: MemberAddForm, status: int = 200):
    rows = [
        {"membership": m, "form": MemberRoleForm(initial={"role": m.role}, auto_id=f"id_{m.pk}_%s")}
        for m in memberships_of_franchise(franchise=franchise)
    ]
    context = {"franchise": franchise, "rows": rows, "add_form": add_form}
    return render(request, "franchises/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def franchise_members(request: HttpRequest, franchise_id) -> HttpResponse:
    """The members and their roles; POST adds an existing user."""
    franchise = franchise_for_admin(request, franchise_id, what="manage its members")
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                membership = services.membership_add(
                    franchise=franchise, identifier=form.cleaned_data["identifier"], role=form.cleaned_data["role"]
                )
            except services.MembershipError as exc:
                form.add_error("identifier", str(exc))
            else:
                name = membership.user.get_username()
                messages.success(request, f"Added {name} as {membership.get_role_display().lower()}.")
                return redirect("franchises:members", franchise_id=franchise.pk)
        return _members_page(request, franchise, form, status=400)
    return _members_page(request, franchise, form)


def _membership(request: HttpRequest, franchise_id, membership_id) -> Membership:
    franchise = franchise_for_admin(request, franchise_id, what="manage its members")
    return get_object_or_404(
        Membership.objects.select_related("user", "franchise"), pk=membership_id, franchise=franchise
    )


@login_required
@require_POST
def member_role(request: HttpRequest, franchise_id, membership_id) -> HttpResponse:
    membership = _membership(request, franchise_id, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a role: admin or staff.")
    else:
        try:
            services.membership_role_set(membership=membership, role=form.cleaned_data["role"])
        except services.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            role = membership.get_role_display().lower()
            messages.success(request, f"{membership.user.get_username()} is now {role}.")
            if not user_is_franchise_admin(user=request.user, franchise=membership.franchise):
                return redirect("franchises:detail", franchise_id=membership.franchise_id)  # they stepped down
    return redirect("franchises:members", franchise_id=membership.franchise_id)


@login_required
@require_POST
def member_remove(request: HttpRequest, franchise_id, membership_id) -> HttpResponse:
    membership = _membership(request, franchise_id, membership_id)
    name = membership.user.get_username()
    try:
        services.membership_remove(membership=membership)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return redirect("franchises:members", franchise_id=membership.franchise_id)
    messages.success(request, f"Removed {name} from {membership.franchise.name}.")
    if not franchises_for_user(user=request.user).filter(pk=membership.franchise_id).exists():
        return redirect("dashboard:home")  # they removed themselves
    return redirect("franchises:members", franchise_id=membership.franchise_id)
