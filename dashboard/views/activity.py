"""The activity page: what went out, what did not and why, what waits; in a staff member's words,
for every user's own franchises (the operators' figures are headquarters' metrics page)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import activity_for_user

ACTIVITY_DAYS = (7, 30)


@login_required
@require_GET
def activity_page(request: HttpRequest) -> HttpResponse:
    days = request.GET.get("days", "")
    days = int(days) if days.isdigit() and int(days) in ACTIVITY_DAYS else ACTIVITY_DAYS[0]
    context = {"activity": activity_for_user(user=request.user, days=days), "day_choices": ACTIVITY_DAYS}
    return render(request, "dashboard/activity.html", context)
