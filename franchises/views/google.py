"""Connecting franchises to Google: one franchise from its page (connect, reconnect, pick the
location, disconnect), or many at once (one consent, then map franchises to locations).

Thin views over franchises/google/connect.py and mapping.py. A franchise's Google pages are its
admins' (403 for staff, 404 outside the user's franchises); the connections pages are for
headquarters and for admins, each seeing the connections their franchises use or they made. Only
headquarters, and whoever connected a Google account themselves, see and map all its locations:
a franchise admin on headquarters' shared account sees only the location assigned to their
franchise, and no page names another franchise to them.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import Access, franchise_admin_required, franchise_for_admin, marked
from ..google import business_profile, connect, mapping
from ..models import Franchise
from ..selectors import (
    connection_get_for_user,
    connection_managed_by,
    connections_for_user,
    franchises_administered_by,
)

GOOGLE_ERRORS = (*business_profile.GOOGLE_ERRORS, connect.GoogleConnectError)
MAP_PAGE_SIZE = 25
GOOGLE = "change its Google connection"


@login_required
@require_POST
@franchise_admin_required(GOOGLE)
def google_connect(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    return redirect(connect.google_connect_start(session=request.session, franchise=franchise))


@login_required
@require_GET
def google_callback(request: HttpRequest) -> HttpResponse:
    try:
        pending = connect.google_connect_pending_pop(session=request.session, state=request.GET.get("state", ""))
    except connect.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    # Whoever started the consent must still hold the role now (removed meanwhile: 403, nothing stored).
    if pending.franchise_id:
        franchise = franchise_for_admin(user=request.user, franchise_id=pending.franchise_id, what=GOOGLE)
    else:
        franchise = None
        _may_connect_many(request)
    try:
        connection = connect.google_connect_finish(
            pending=pending,
            franchise=franchise,
            user=request.user,
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
        )
    except connect.GoogleConnectStateError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    except connect.GoogleConnectError as exc:
        messages.error(request, str(exc))
        if franchise is not None:
            return redirect("franchises:detail", franchise_id=franchise.pk)
        return redirect("franchises:google_connections")
    if franchise is None:
        messages.success(request, f"Connected to Google as {connection}. Now map your franchises to its locations.")
        return redirect("franchises:google_connection_map", connection_id=connection.pk)
    if franchise.google_location_id:
        messages.success(request, f"Google reconnected for {franchise.name}.")
        return redirect("franchises:detail", franchise_id=franchise.pk)
    messages.success(request, "Connected to Google. Now pick the location this franchise posts to.")
    return redirect("franchises:google_pick_location", franchise_id=franchise.pk)


@login_required
@require_http_methods(["GET", "POST"])
@franchise_admin_required(GOOGLE)
def google_pick_location(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    connection = franchise.google_connection
    if connection is None:
        messages.error(request, "Connect the franchise to Google first.")
        return redirect("franchises:detail", franchise_id=franchise.pk)
    managed = connection_managed_by(user=request.user, connection=connection)
    try:
        if request.method == "POST":
            account_id, _, location_id = request.POST.get("location", "").partition("/")
            if not account_id or not location_id:
                messages.error(request, "Pick a location.")
                return redirect("franchises:google_pick_location", franchise_id=franchise.pk)
            connect.google_location_pick(
                franchise=franchise, account_id=account_id, location_id=location_id, user=request.user
            )
            if franchise.google_cannot_post_reason:
                messages.warning(request, franchise.google_cannot_post_reason)
            else:
                messages.success(request, f"Posts will go to {franchise.google_location_title}.")
            return redirect("franchises:detail", franchise_id=franchise.pk)
        # Only who manages the account sees its locations; anyone else, the one assigned here.
        if managed:
            accounts = connect.google_location_choices(connection=connection, user=request.user)
        else:
            accounts = connect.google_location_assigned(franchise=franchise)
    except GOOGLE_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect("franchises:detail", franchise_id=franchise.pk)
    context = {"franchise": franchise, "accounts": accounts, "managed": managed, "connection": connection}
    return render(request, "franchises/google_pick_location.html", context)


@login_required
@require_POST
@franchise_admin_required(GOOGLE)
def google_disconnect(request: HttpRequest, franchise: Franchise) -> HttpResponse:
    if connect.google_disconnect(franchise=franchise, user=request.user):
        messages.success(request, "Disconnected from Google. Scheduled posts wait until you connect again.")
    else:
        messages.warning(
            request,
            "Disconnected here, but Google could not be reached to revoke the access: remove it at "
            "https://myaccount.google.com/permissions.",
        )
    return redirect("franchises:detail", franchise_id=franchise.pk)


# --- many at once ---------------------------------------------------------------------------------


def _may_connect_many(request: HttpRequest) -> None:
    if not franchises_administered_by(user=request.user).exists():
        raise PermissionDenied("Only headquarters and franchise admins can connect franchises to Google.")


@login_required
@require_http_methods(["GET", "POST"])
@marked(Access.FRANCHISE_ADMIN)  # an admin of any franchise: checked in the view
def google_connections(request: HttpRequest) -> HttpResponse:
    """The Google accounts the user's franchises publish through; POST starts a consent for a
    group (the same account again renews its connection)."""
    _may_connect_many(request)
    if request.method == "POST":
        return redirect(connect.google_connect_start(session=request.session, franchise=None))
    connections = connections_for_user(user=request.user)
    return render(request, "franchises/google_connections.html", {"connections": connections})


@login_required
@require_http_methods(["GET", "POST"])
@marked(Access.FRANCHISE_ADMIN)  # checked in the view, after the connection's 404
def google_connection_map(request: HttpRequest, connection_id) -> HttpResponse:
    """Map the user's franchises to the connection's locations, a page at a time: automatic
    matches proposed, each confirmed, changed or skipped by the person; moving franchises from
    another Google account is said and confirmed first. For headquarters, and for an admin on an
    account they connected themselves (connection_managed_by)."""
    connection = connection_get_for_user(user=request.user, connection_id=connection_id)  # 404 first
    _may_connect_many(request)
    if not connection_managed_by(user=request.user, connection=connection):
        raise PermissionDenied(
            f"Headquarters maps the locations of {connection}: only headquarters, or whoever connected that "
            "Google account themselves, can map franchises to them."
        )
    # Each row names the account its franchise publishes through now (no token is decrypted for it).
    franchises = (
        franchises_administered_by(user=request.user)
        .select_related("google_connection")
        .defer("google_connection__refresh_token", "google_connection__access_token")
        .order_by("name", "pk")
    )
    page = Paginator(franchises, MAP_PAGE_SIZE).get_page(request.GET.get("page"))
    try:
        if request.method == "POST":
            choices = {
                key.removeprefix("location-"): value
                for key, value in request.POST.items()
                if key.startswith("location-")
            }
            plan = mapping.mapping_plan(
                connection=connection, choices=choices, franchises=list(page.object_list), user=request.user
            )
            if plan.moves and request.POST.get("confirm_moves") != plan.moves_digest:
                context = {
                    "connection": connection,
                    "moves": plan.moves_said(to=connection),
                    "choices": sorted(choices.items()),
                    "digest": plan.moves_digest,
                    "others": len(plan.changes) - len(plan.moves),
                }
                return render(request, "franchises/google_connection_map_confirm.html", context)
            result = mapping.franchises_map(connection=connection, plan=plan, user=request.user)
            if result.mapped:
                messages.success(request, f"Connected {len(result.mapped)}: {', '.join(result.mapped)}.")
            if result.moved:
                messages.success(request, f"Moved {len(result.moved)} to {connection}: {', '.join(result.moved)}.")
            if not result.mapped and not result.moved and not result.refused:
                messages.info(request, "Nothing changed on this page.")
            for refusal in result.refused:
                messages.error(request, refusal)
            target = page.next_page_number() if page.has_next() and not result.refused else page.number
            return redirect(f"{request.path}?page={target}")
        locations = mapping.connection_locations(
            connection=connection, refresh=request.GET.get("refresh") == "1", user=request.user
        )
    except GOOGLE_ERRORS as exc:
        messages.error(request, str(exc))
        return redirect("franchises:google_connections")
    rows = mapping.matches_propose(franchises=list(page.object_list), locations=locations, connection=connection)
    context = {"connection": connection, "page": page, "rows": rows, "locations": locations}
    return render(request, "franchises/google_connection_map.html", context)
