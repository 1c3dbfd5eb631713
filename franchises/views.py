"""The franchise pages: the home page, a list, a franchise page with its Google connection, the
connect flow, and the admins' settings and members pages.

Thin views: scoping through `franchise_get_for_user` (404 for other tenants), the admin check
through `user_is_franchise_admin` (403), the work in `services` and `google.connect`.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import FranchiseSettingsForm, MemberAddForm, MemberRoleForm
from .google import business_profile, connect
from .google.tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from .models import Franchise, Membership
from .selectors import franchise_get_for_user, franchises_for_user, memberships_of_franchise, user_is_franchise_admin


def _franchise_for_admin(
    request: HttpRequest, franchise_id, *, what: str = "change its Google connection"
) -> Franchise:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    if not user_is_franchise_admin(user=request.user, franchise=franchise):
        raise PermissionDenied(f"Only the franchise's admins can {what}.")
    return franchise


@login_required
@require_GET
def franchise_list(request: HttpRequest) -> HttpResponse:
    franchises = franchises_for_user(user=request.user).order_by("name")
    return render(request, "franchises/franchise_list.html", {"franchises": franchises})


@login_required
@require_GET
def franchise_detail(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    context = {"franchise": franchise, "is_admin": user_is_franchise_admin(user=request.user, franchise=franchise)}
    return render(request, "franchises/franchise_detail.html", context)


@login_required
@require_POST
def google_connect(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = _franchise_for_admin(request, franchise_id)
    return redirect(connect.google_connect_start(session=request.session, franchise=franchise))


@login_required
@require_GET
def google_callback(request: HttpRequest) -> HttpResponse:
    try:
        pending = connect.google_connect_pending_pop(session=request.session, state=request.GET.get("state", ""))
    except connect.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    franchise = _franchise_for_admin(request, pending.franchise_id)
    try:
        connect.google_connect_finish(
            franchise=franchise, pending=pending, code=request.GET.get("code", ""), error=request.GET.get("error", "")
        )
    except connect.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except connect.GoogleConnectError as exc:
        messages.error(request, str(exc))
        return redirect("franchises:detail", franchise_id=franchise.pk)
    messages.success(request, "Connected to Google. Now pick the location this franchise posts to.")
    return redirect("franchises:google_pick_location", franchise_id=franchise.pk)


@login_required
@require_http_methods(["GET", "POST"])
def google_pick_location(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = _franchise_for_admin(request, franchise_id)
    if not franchise.is_connected:
        messages.error(request, "Connect the franchise to Google first.")
        return redirect("franchises:detail", franchise_id=franchise.pk)
    try:
        if request.method == "POST":
            account_id, _, location_id = request.POST.get("location", "").partition("/")
            if not account_id or not location_id:
                messages.error(request, "Pick a location.")
                return redirect("franchises:google_pick_location", franchise_id=franchise.pk)
            connect.google_location_pick(franchise=franchise, account_id=account_id, location_id=location_id)
            messages.success(request, f"Posts will go to {franchise.google_location_title}.")
            return redirect("franchises:detail", franchise_id=franchise.pk)
        accounts = connect.google_location_choices(franchise=franchise)
    except (
        business_profile.GbpError,
        GoogleReauthorizationRequired,
        GoogleTokenTransientError,
        connect.GoogleConnectError,
    ) as exc:
        messages.error(request, str(exc))
        return redirect("franchises:detail", franchise_id=franchise.pk)
    return render(request, "franchises/google_pick_location.html", {"franchise": franchise, "accounts": accounts})


@login_required
@require_POST
def google_disconnect(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = _franchise_for_admin(request, franchise_id)
    if connect.google_disconnect(franchise=franchise):
        messages.success(request, "Disconnected from Google. Scheduled posts wait until you connect again.")
    else:
        messages.warning(
            request,
            "Disconnected here, but Google could not be reached to revoke the access: remove it at "
            "https://myaccount.google.com/permissions.",
        )
    return redirect("franchises:detail", franchise_id=franchise.pk)


# --- admins: settings and members ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def franchise_settings(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = _franchise_for_admin(request, franchise_id, what="change its settings")
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
    franchise = _franchise_for_admin(request, franchise_id, what="manage its members")
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
    franchise = _franchise_for_admin(request, franchise_id, what="manage its members")
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
