"""The franchise pages: a list, a franchise page with its Google connection, and the admins'
settings and members pages (members, and invitations to join). (Connecting to Google is in
google.py; opening an invitation's link is in invitations.py.)

Thin views: admin-only views through `franchise_admin_required` (404 for other tenants, 403 for
staff; franchises/access.py), the work in `services`.
"""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services
from ..access import franchise_admin_required
from ..forms import FranchiseSettingsForm, FranchiseVariablesForm, InviteForm, MemberRoleForm
from ..models import Franchise, Membership
from ..selectors import (
    franchise_get_for_user,
    franchises_administered_by,
    franchises_for_user,
    franchises_matching,
    invitation_get_for_admin,
    invitations_open_of_franchise,
    memberships_of_franchise,
    user_is_franchise_admin,
)

MEMBERS = "manage its members"
LIST_PAGE_SIZE = 50


@login_required
@require_GET
def franchise_list(request: HttpRequest) -> HttpResponse:
    """The user's franchises by name, LIST_PAGE_SIZE a page, searched by name or city (`q`)."""
    search = request.GET.get("q", "")[:100]
    franchises = franchises_matching(franchises_for_user(user=request.user), search=search).order_by("name", "pk")
    page = Paginator(franchises, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    can_connect_many = franchises_administered_by(user=request.user).exists()
    context = {
        "franchises": page.object_list,
        "page": page,
        "search": search,
        "query": urlencode({"q": search}) if search else "",
        "can_connect_many": can_connect_many,
    }
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
@franchise_admin_required("change its settings")
def franchise_settings(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    # The form works on a copy: a rejected form must not leave bad values on the page's franchise.
    form = FranchiseSettingsForm(request.POST or None, instance=copy.copy(franchise))
    variables = FranchiseVariablesForm(request.POST or None, franchise=franchise)
    if request.method == "POST" and all([form.is_valid(), variables.is_valid()]):
        with transaction.atomic():
            services.franchise_settings_update(franchise=franchise, **form.cleaned_data)
            services.franchise_variables_set(franchise=franchise, values=variables.values())
        messages.success(request, "Settings saved.")
        return redirect("franchises:settings", franchise_id=franchise.pk)
    status = 400 if form.is_bound else 200
    context = {"franchise": franchise, "form": form, "variables": variables}
    return render(request, "franchises/settings.html", context, status=status)


def _members_page(request: HttpRequest, franchise: Franchise, invite_form: InviteForm, status: int = 200):
    rows = [
        {"membership": m, "form": MemberRoleForm(initial={"role": m.role}, auto_id=f"id_{m.pk}_%s")}
        for m in memberships_of_franchise(franchise=franchise)
    ]
    context = {
        "franchise": franchise,
        "rows": rows,
        "invitations": invitations_open_of_franchise(franchise=franchise),
        "invite_form": invite_form,
    }
    return render(request, "franchises/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@franchise_admin_required(MEMBERS)
def franchise_members(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    """The members and their roles, and the open invitations; POST invites someone by email.

    The answer to an invitation is the same whether or not the address has an account here."""
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invitation_send(
                    franchise=franchise,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=request.user,
                )
            except services.InvitationError as exc:
                form.add_error("email", str(exc))
            else:
                role = invitation.get_role_display().lower()
                messages.success(request, f"Invitation to join as {role} sent to {invitation.email}.")
                return redirect("franchises:members", franchise_id=franchise.pk)
        return _members_page(request, franchise, form, status=400)
    return _members_page(request, franchise, form)


def _membership(franchise: Franchise, membership_id) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "franchise"), pk=membership_id, franchise=franchise
    )


@login_required
@require_POST
@franchise_admin_required(MEMBERS)
def member_role(request: HttpRequest, franchise: Franchise, membership_id) -> HttpResponse:
    membership = _membership(franchise, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a role: admin or staff.")
    else:
        try:
            services.membership_role_set(membership=membership, role=form.cleaned_data["role"], actor=request.user)
        except services.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            role = membership.get_role_display().lower()
            messages.success(request, f"{membership.user.get_username()} is now {role}.")
            if not user_is_franchise_admin(user=request.user, franchise=franchise):
                return redirect("franchises:detail", franchise_id=franchise.pk)  # they stepped down
    return redirect("franchises:members", franchise_id=franchise.pk)


@login_required
@require_POST
@franchise_admin_required(MEMBERS)
def member_remove(request: HttpRequest, franchise: Franchise, membership_id) -> HttpResponse:
    membership = _membership(franchise, membership_id)
    name = membership.user.get_username()
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return redirect("franchises:members", franchise_id=franchise.pk)
    messages.success(request, f"Removed {name} from {franchise.name}.")
    if not franchises_for_user(user=request.user).filter(pk=franchise.pk).exists():
        return redirect("dashboard:home")  # they removed themselves
    return redirect("franchises:members", franchise_id=franchise.pk)


@login_required
@require_POST
@franchise_admin_required(MEMBERS)
def invitation_resend(request: HttpRequest, franchise: Franchise, invitation_id) -> HttpResponse:
    invitation = invitation_get_for_admin(franchise=franchise, invitation_id=invitation_id)
    try:
        services.invitation_resend(invitation=invitation, actor=request.user)
    except services.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sent the invitation to {invitation.email} again, with a new link.")
    return redirect("franchises:members", franchise_id=franchise.pk)


@login_required
@require_POST
@franchise_admin_required(MEMBERS)
def invitation_revoke(request: HttpRequest, franchise: Franchise, invitation_id) -> HttpResponse:
    invitation = invitation_get_for_admin(franchise=franchise, invitation_id=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except services.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Withdrew the invitation to {invitation.email}: its link no longer works.")
    return redirect("franchises:members", franchise_id=franchise.pk)
