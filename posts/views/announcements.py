"""Headquarters: one post to many franchises, previewed per franchise before it is scheduled."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from franchises.access import headquarters_required

from ..forms import AnnouncementForm
from ..services import announcement_preview, announcement_schedule, announcement_series_create
from ._common import ACTION_ERRORS


@headquarters_required("post to many franchises at once")
@require_http_methods(["GET", "POST"])
def announcement_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST with step=preview: every franchise's filled-in post. POST with
    step=schedule: create them (the form is posted again from the preview page's hidden copy)."""
    form = AnnouncementForm(request.POST or None)
    rows = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "franchises": list(data["franchises"]),
            "template": data["summary"],
            "date": data["date"],
            "local_time": data["local_time"],
            "cta_action_type": data["cta_action_type"] or "",
            "cta_url": data["cta_url"] or "",
            "media_url": data["media_url"] or "",
        }
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
                    f"Repeating for {len(series)} franchise{'s' if len(series) != 1 else ''}: each has it under "
                    "Repeating posts. "
                    + ("Its next four weeks are scheduled." if made else "Their posts are made within the hour."),
                )
                return redirect("posts:list")
        elif request.POST.get("step") == "schedule":
            try:
                posts = announcement_schedule(user=request.user, **arguments)
            except ACTION_ERRORS as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Scheduled for {len(posts)} franchise{'s' if len(posts) != 1 else ''}.")
                return redirect("posts:list")
        rows = announcement_preview(**arguments)
    context = {
        "form": form,
        "rows": rows,
        "can_schedule": rows is not None and not any(row["problems"] for row in rows),
    }
    return render(request, "posts/announcement_form.html", context)
