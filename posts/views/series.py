"""Repeating posts: a franchise's series, a new one (from scratch or from a post), one series with
its occurrences and its edit form, its live preview, and ending it. The form is the post editor's
(its content, preview, photo upload and AI help) with the rule beside it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import body_limit, id_parameters
from gbp_scheduler.throttle import allowance_take

from ..brand import post_check_messages
from ..content import TYPED
from ..forms import SeriesForm
from ..models import Post, PostSeries
from ..selectors import post_get_for_user, series_get_for_user, series_of_franchise, series_upcoming
from ..services.series import (
    HORIZON_DAYS,
    occurrence_content,
    series_create,
    series_describe,
    series_distinct_texts,
    series_end,
    series_next,
    series_preview_posts,
    series_update,
    series_variety_warning,
)
from ._common import ACTION_ERRORS, photo_context, photo_refused, render_in_zone, with_uploaded_photo

UPCOMING_SHOWN = 3  # the next posts the preview lists


@login_required
@require_GET
def series_list(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    now = timezone.now()
    rows = [
        {
            "series": series,
            "describe": series_describe(series),
            "next": next(iter(series_next(series=series, after=now)), None) if series.is_active else None,
        }
        for series in series_of_franchise(franchise=franchise).select_related("franchise")
    ]
    return render_in_zone(request, franchise, "posts/series_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
@id_parameters("from_post")
def series_new(request: HttpRequest, franchise_id) -> HttpResponse:
    """A new repeating post; `?from_post=<id>` starts it from that post's content (a post of this
    franchise: any other is a 404)."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    initial = {"starts_on": timezone.localtime(timezone.now(), franchise.zone).date(), "weekdays": []}
    if request.GET.get("from_post"):
        post = post_get_for_user(user=request.user, post_id=request.GET["from_post"])
        if post.franchise_id != franchise.pk:
            raise Http404("No such post in this franchise.")
        initial.update({name: getattr(post, name) for name in TYPED})
    data, photo_error = with_uploaded_photo(request, franchise=franchise)
    with timezone.override(franchise.zone):
        form = SeriesForm(data, franchise=franchise, initial=initial)
        valid = request.method == "POST" and form.is_valid() and not photo_refused(form, photo_error)
    if valid and request.POST.get("intent") != "preview":
        try:
            series = series_create(
                franchise=franchise, user=request.user, **form.when(), **form.series_fields(), **form.variety()
            )
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            made = series.occurrences.count()
            messages.success(request, f"Repeating post saved: {made} post{'s' if made != 1 else ''} scheduled so far.")
            return redirect("posts:series_detail", series_id=series.pk)
    return render_in_zone(request, franchise, "posts/series_form.html", _editor(form, franchise))


@login_required
@require_http_methods(["GET", "POST"])
def series_detail(request: HttpRequest, series_id) -> HttpResponse:
    """The series: what it is, its posts, the form that changes it, and the button that ends it."""
    series = series_get_for_user(user=request.user, series_id=series_id)
    franchise = series.franchise
    data, photo_error = with_uploaded_photo(request, franchise=franchise) if series.is_active else (None, "")
    with timezone.override(franchise.zone):
        form = SeriesForm(data, franchise=franchise, initial=SeriesForm.initial_for(series))
        valid = request.method == "POST" and series.is_active and form.is_valid()
        valid = valid and not photo_refused(form, photo_error)
    if valid and request.POST.get("intent") != "preview":
        try:
            counts = series_update(
                series=series,
                user=request.user,
                version=form.cleaned_data.get("version") or series.version,
                **form.when(),
                **form.series_fields(),
                **form.variety(),
            )
        except ACTION_ERRORS as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _update_message(counts))
            return redirect("posts:series_detail", series_id=series.pk)
    context = {
        **_editor(form if series.is_active else None, franchise, series),
        "series": series,
        "describe": series_describe(series),
        "next_post": next(iter(series_next(series=series, after=timezone.now())), None) if series.is_active else None,
        "occurrences": series_upcoming(series=series),
        "horizon_days": HORIZON_DAYS,
    }
    return render_in_zone(request, franchise, "posts/series_form.html", context)


@login_required
@require_POST
@body_limit()
def series_preview(request: HttpRequest, franchise_id) -> HttpResponse:
    """The rule in words, the next posts and the next one as on Google, for the form as typed (htmx
    swaps it in), within the editor preview's allowance per user."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    limit = settings.POST_PREVIEW_PER_USER_PER_MINUTE
    if not allowance_take(key=f"posts:preview:{request.user.pk}", limit=limit, period_seconds=60):
        return render(request, "posts/_preview_paused.html", {"limit": limit}, status=429)
    with timezone.override(franchise.zone):
        form = SeriesForm(request.POST, franchise=franchise)
        form.is_valid()
    return render_in_zone(request, franchise, "posts/_series_preview.html", _preview(form, franchise))


def _editor(form: SeriesForm | None, franchise, series: PostSeries | None = None) -> dict:
    upload_url = reverse("posts:photo_upload", args=[franchise.pk])
    context = {
        "form": form,
        "series": None,
        "dated_help": (
            f"For its first post, in {franchise.timezone}: each later post's dates move with it, by as many "
            "days as it goes out after the first."
        ),
        **photo_context(upload_url=upload_url),
    }
    if form is not None:
        context.update(_preview(form, franchise, series))
    return context


def _preview(form: SeriesForm, franchise, saved: PostSeries | None = None) -> dict:
    """The series as typed (or as saved, before any change): its rule in words, its next posts
    (each with its own event dates) and the next one as Google will show it."""
    shown = form.unsaved_series() if form.is_bound else saved
    if shown is None:
        return {"preview_words": None, "upcoming": [], "preview": Post(franchise=franchise, summary="")}
    upcoming = series_preview_posts(series=shown, after=timezone.now(), count=UPCOMING_SHOWN)
    preview = (
        upcoming[0] if upcoming else Post(franchise=franchise, **occurrence_content(series=shown, day=shown.starts_on))
    )
    return {
        "preview_words": series_describe(shown),
        "upcoming": upcoming,
        "preview": preview,
        "preview_problems": _problems(form, shown, preview) if form.is_bound else [],
        "text_count": len(shown.texts),
        "distinct_texts": series_distinct_texts(shown),
        "variety_warning": series_variety_warning(shown),
    }


def _problems(form: SeriesForm, shown: PostSeries, preview: Post) -> list[str]:
    """What breaks a rule as typed: the main text's (as the next post carries it, with its dates),
    then each other text's, named by number (the form's check of them)."""
    if not shown.more_texts:
        return post_check_messages(preview)
    day = preview.series_day or timezone.localtime(preview.scheduled_at or timezone.now(), shown.franchise.zone).date()
    main = Post(franchise=shown.franchise, **occurrence_content(series=shown, day=day, text=0))
    return [f"Text 1: {problem}" for problem in post_check_messages(main)] + list(form.errors.get("more_texts", []))


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
