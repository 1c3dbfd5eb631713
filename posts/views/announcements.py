"""Headquarters: one post to many franchises, previewed per franchise before it is scheduled;
then each announcement as one thing: its page lists its posts, and those not yet published can
be edited or cancelled together."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from franchises.access import headquarters_required

from ..forms import AnnouncementContentForm, AnnouncementForm
from ..models import Announcement, Post
from ..selectors import announcement_counts, announcement_posts, announcement_series, announcements_sent
from ..services import (
    announcement_cancel_all,
    announcement_edit_all,
    announcement_preview,
    announcement_schedule,
    announcement_series_create,
)
from ..services.announcements import announcement_content
from ._common import ACTION_ERRORS, photo_context, photo_refused, with_uploaded_photo

PAGE_SIZE = 50
PREVIEWS_SHOWN = 3  # "edit all"'s preview: a few of its posts as they would become


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# The posts "edit all" changed only in part or not at all ({key of its outcome}), and how the page says so.
EDIT_ALL_LEFT_OUT = (
    ("kept_local", messages.INFO, "Kept their own changes to the parts not locked"),
    ("overwritten", messages.WARNING, "Their own changes overwritten"),
    ("kept_time", messages.INFO, "Kept their own time, moved by hand since it was sent"),
    ("busy", messages.WARNING, "Being published or changed by someone at that moment, not changed"),
)


@headquarters_required("post to many franchises at once")
@require_http_methods(["GET", "POST"])
def announcement_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST with step=preview: every franchise's filled-in post. POST with
    step=schedule: create them (the form is posted again from the preview page's hidden copy)."""
    data, photo_error = with_uploaded_photo(request, franchise=None)
    form = AnnouncementForm(data)
    rows = None
    if request.method == "POST" and form.is_valid() and not photo_refused(form, photo_error):
        cleaned = form.cleaned_data
        when = {"franchises": list(cleaned["franchises"]), "date": cleaned["date"], "local_time": cleaned["local_time"]}
        arguments = {**when, **form.post_fields()}
        rule = form.rule()
        if request.POST.get("step") == "schedule" and rule:
            try:
                series = announcement_series_create(user=request.user, rule=rule, **arguments)
            except ACTION_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                made = series[0].occurrences.exists() or series[0].materialised_through is not None
                messages.success(
                    request,
                    f"Repeating for {_plural(len(series), 'franchise')}: each has it under Repeating posts. "
                    + ("Its next four weeks are scheduled." if made else "Their posts are made within the hour."),
                )
                return redirect("posts:announcement_detail", announcement_id=series[0].announcement_id)
        elif request.POST.get("step") == "schedule":
            try:
                posts = announcement_schedule(user=request.user, locked=form.locks(), **arguments)
            except ACTION_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Scheduled for {_plural(len(posts), 'franchise')}.")
                return redirect("posts:announcement_detail", announcement_id=posts[0].announcement_id)
        rows = announcement_preview(**arguments)
    context = {
        "form": form,
        "rows": rows,
        "can_schedule": rows is not None and not any(row["problems"] for row in rows),
        **_editor(),
    }
    return render(request, "posts/announcement_form.html", context)


def _editor() -> dict:
    """What the announcement forms' editor needs besides the form: where a photo is uploaded, and
    which times its date-times are in."""
    upload_url = reverse("posts:announcement_photo_upload")
    return {
        "dated_help": "Each franchise reads these times in its own zone, as it does the publish time.",
        **photo_context(upload_url=upload_url),
    }


@headquarters_required("see the announcements")
@require_http_methods(["GET"])
def announcement_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(announcements_sent(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "posts/announcement_list.html", {"page": page})


def _announcement_context(announcement: Announcement, page_number: str | None = None) -> dict:
    """The announcement, its counts, a page of its posts and a repeating one's series: the same
    few queries for 3 franchises or 1,000."""
    return {
        "announcement": announcement,
        "counts": announcement_counts(announcement=announcement),
        "page": Paginator(announcement_posts(announcement=announcement), PAGE_SIZE).get_page(page_number),
        "series": announcement_series(announcement=announcement),
    }


@headquarters_required("see an announcement")
@require_http_methods(["GET"])
def announcement_detail(request: HttpRequest, announcement_id) -> HttpResponse:
    """The announcement's posts: franchise, status and time each; links to edit or cancel the
    ones not yet published."""
    announcement = get_object_or_404(Announcement, pk=announcement_id)
    context = _announcement_context(announcement, request.GET.get("page"))
    return render(request, "posts/announcement_detail.html", context)


@headquarters_required("edit an announcement")
@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, announcement_id) -> HttpResponse:
    """GET: the content, day and time, filled from the announcement. POST step=preview: a few of
    its posts as they would become; otherwise "edit all not yet published"."""
    announcement = get_object_or_404(Announcement, pk=announcement_id)
    context = _announcement_context(announcement)
    initial = {
        "summary": announcement.summary,
        "date": announcement.date,
        "local_time": announcement.local_time,
        "locked": announcement.locked,
        **announcement_content(announcement),
    }
    data, photo_error = with_uploaded_photo(request, franchise=None)
    form = AnnouncementContentForm(data, initial=initial)
    rows = None
    if request.method == "POST" and form.is_valid() and not photo_refused(form, photo_error):
        when = {"date": form.cleaned_data["date"], "local_time": form.cleaned_data["local_time"]}
        if request.POST.get("step") == "preview":
            waiting = [post.franchise for post in context["page"].object_list if post.status != Post.Status.PUBLISHED]
            rows = announcement_preview(franchises=waiting[:PREVIEWS_SHOWN], **when, **form.post_fields())
        else:
            try:
                outcome = announcement_edit_all(
                    announcement=announcement,
                    user=request.user,
                    locked=form.locks(),
                    overwrite=form.cleaned_data["overwrite"],
                    **when,
                    **form.post_fields(),
                )
            except ACTION_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Changed {_plural(len(outcome['edited']), 'post')}.")
                for key, level, words in EDIT_ALL_LEFT_OUT:
                    if outcome[key]:
                        messages.add_message(request, level, f"{words}: {', '.join(outcome[key])}.")
                return redirect("posts:announcement_detail", announcement_id=announcement.pk)
    return render(request, "posts/announcement_edit.html", {**context, "form": form, "rows": rows, **_editor()})


@headquarters_required("cancel an announcement")
@require_http_methods(["GET", "POST"])
def announcement_cancel(request: HttpRequest, announcement_id) -> HttpResponse:
    """GET: a confirmation stating how many posts go. POST: "cancel all not yet published"."""
    announcement = get_object_or_404(Announcement, pk=announcement_id)
    if request.method == "POST":
        counts = announcement_cancel_all(announcement=announcement, user=request.user)
        text = f"Cancelled: {_plural(counts['deleted'], 'post')} deleted."
        if counts["series_ended"]:
            text += f" {_plural(counts['series_ended'], 'repeating post')} ended."
        messages.success(request, text)
        if counts["busy"]:
            messages.warning(
                request,
                f"{_plural(counts['busy'], 'post')} being published at that moment: cancelled too, unless that attempt "
                "put it on Google, where it then stays.",
            )
        return redirect("posts:announcement_detail", announcement_id=announcement.pk)
    context = _announcement_context(announcement)
    context["active_series"] = [series for series in context["series"] if series.ended_at is None]
    return render(request, "posts/announcement_cancel.html", context)
