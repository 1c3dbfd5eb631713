"""The minimal franchise pages: a list, a franchise page with its Google connection, and the connect flow.

Thin views: scoping through `franchise_get_for_user` (404 for other tenants), the admin check
through `user_is_franchise_admin` (403), the work in `services_google`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import gbp_client, services_google
from .google_tokens import GoogleReauthorizationRequired, GoogleTokenTransientError
from .models import Franchise
from .selectors import franchise_get_for_user, franchises_for_user, user_is_franchise_admin


def _franchise_for_admin(request: HttpRequest, franchise_id) -> Franchise:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    if not user_is_franchise_admin(user=request.user, franchise=franchise):
        raise PermissionDenied("Only the franchise's admins can change its Google connection.")
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
    return redirect(services_google.google_connect_start(session=request.session, franchise=franchise))


@login_required
@require_GET
def google_callback(request: HttpRequest) -> HttpResponse:
    try:
        pending = services_google.google_connect_pending_pop(
            session=request.session, state=request.GET.get("state", "")
        )
    except services_google.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    franchise = _franchise_for_admin(request, pending.franchise_id)
    try:
        services_google.google_connect_finish(
            franchise=franchise, pending=pending, code=request.GET.get("code", ""), error=request.GET.get("error", "")
        )
    except services_google.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except services_google.GoogleConnectError as exc:
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
            services_google.google_location_pick(franchise=franchise, account_id=account_id, location_id=location_id)
            messages.success(request, f"Posts will go to {franchise.google_location_title}.")
            return redirect("franchises:detail", franchise_id=franchise.pk)
        accounts = services_google.google_location_choices(franchise=franchise)
    except (
        gbp_client.GbpError,
        GoogleReauthorizationRequired,
        GoogleTokenTransientError,
        services_google.GoogleConnectError,
    ) as exc:
        messages.error(request, str(exc))
        return redirect("franchises:detail", franchise_id=franchise.pk)
    return render(request, "franchises/google_pick_location.html", {"franchise": franchise, "accounts": accounts})


@login_required
@require_POST
def google_disconnect(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = _franchise_for_admin(request, franchise_id)
    if services_google.google_disconnect(franchise=franchise):
        messages.success(request, "Disconnected from Google. Scheduled posts wait until you connect again.")
    else:
        messages.warning(
            request,
            "Disconnected here, but Google could not be reached to revoke the access: remove it at "
            "https://myaccount.google.com/permissions.",
        )
    return redirect("franchises:detail", franchise_id=franchise.pk)
