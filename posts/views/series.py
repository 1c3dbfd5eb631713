"""Repeating posts: a franchise's series, a new one (from scratch or from a post), one series with
its occurrences and its edit form, and ending it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import id_parameters

from ..content import UPDATE_FIELDS
from ..forms import SeriesForm
from ..selectors import post_get_for_user, series_get_for_user, series_of_franchise, series_upcoming
from ..services.series import HORIZON_DAYS, series_create, series_describe, series_end, series_update
from ._common import ACTION_ERRORS, render_in_zone


@login_required
@require_GET
def series_list(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    rows = [{"series": s, "describe": series_describe(s)} for s in series_of_franchise(franchise=franchise)]
    return render_in_zone(request, franchise, "posts/series_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
@id_parameters("from_post")
def series_new(request: HttpRequest, franchise_id) -> HttpResponse:
    """A new repeating post; `?from_post=<id>` starts it from that post's text and button (a post
    of this franchise: any other is a 404)."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    initial = {"starts_on": timezone.localtime(timezone.now(), franchise.zone).date(), "weekdays": []}
    if request.GET.get("from_post"):
        post = post_get_for_user(user=request.user, post_id=request.GET["from_post"])
        if post.franchise_id != franchise.pk:
            raise Http404("No such post in this franchise.")
        initial.update({name: getattr(post, name) for name in UPDATE_FIELDS})
    with timezone.override(franchise.zone):
        form = SeriesForm(request.POST or None, franchise=franchise, initial=initial)
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            series = series_create(franchise=franchise, user=request.user, **form.when(), **form.series_fields())
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            made = series.occurrences.count()
            messages.success(request, f"Repeating post saved: {made} post{'s' if made != 1 else ''} scheduled so far.")
            return redirect("posts:series_detail", series_id=series.pk)
    return render_in_zone(request, franchise, "posts/series_form.html", {"form": form, "series": None})


@login_required
@require_http_methods(["GET", "POST"])
def series_detail(request: HttpRequest, series_id) -> HttpResponse:
    """The series: what it is, its posts, the form that changes it, and the button that ends it."""
    series = series_get_for_user(user=request.user, series_id=series_id)
    franchise = series.franchise
    with timezone.override(franchise.zone):
        form = SeriesForm(request.POST or None, franchise=franchise, initial=SeriesForm.initial_for(series))
        valid = request.method == "POST" and series.is_active and form.is_valid()
    if valid:
        try:
            counts = series_update(
                series=series,
                user=request.user,
                version=form.cleaned_data.get("version") or series.version,
                **form.when(),
                **form.series_fields(),
            )
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _update_message(counts))
            return redirect("posts:series_detail", series_id=series.pk)
    context = {
        "series": series,
        "describe": series_describe(series),
        "form": form if series.is_active else None,
        "occurrences": series_upcoming(series=series),
        "horizon_days": HORIZON_DAYS,
    }
    return render_in_zone(request, franchise, "posts/series_form.html", context)


def _update_message(counts: dict) -> str:
    parts = [f"{counts['updated']} upcoming post(s) changed"]
    if counts["added"]:
        parts.append(f"{counts['added']} added")
    if counts["removed"]:
        parts.append(f"{counts['removed']} removed")
    if counts["kept_edited"]:
        parts.append(f"{counts['kept_edited']} edited by hand left as they are")
    if counts["busy"]:
        parts.append(f"{counts['busy']} being published right now left as they are")
    return "Repeating post saved: " + ", ".join(parts) + "."


@login_required
@require_POST
def series_end_view(request: HttpRequest, series_id) -> HttpResponse:
    series = series_get_for_user(user=request.user, series_id=series_id)
    try:
        counts = series_end(series=series, user=request.user)
    except ACTION_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        text = f"Repeating post ended: {counts['deleted']} upcoming post(s) deleted."
        if counts["busy"]:
            text += f" {counts['busy']} being published right now: cancelled too, unless that attempt put it on Google."
        messages.success(request, text)
    return redirect("posts:series_detail", series_id=series.pk)
