"""The posts list (all the user's franchises, or one) and a franchise's month and week calendar."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from franchises.selectors import franchise_get_for_user, franchises_for_user
from gbp_scheduler.times import day_or_none

from ..forms import ManyPostsForm, PostFilterForm
from ..selectors import posts_for_calendar, posts_for_user
from ._common import render_in_zone

PAGE_SIZE = 25
NEW_POST_TIME = "09:00"  # a post written from a calendar day starts at this local time


@login_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    franchises = list(franchises_for_user(user=request.user).order_by("name"))
    return _list(request, franchises=franchises, franchise=None)


@login_required
@require_GET
def franchise_post_list(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    return _list(request, franchises=None, franchise=franchise)


def _list(request: HttpRequest, *, franchises, franchise) -> HttpResponse:
    form = PostFilterForm(request.GET or None, franchises=franchises)
    filters = form.cleaned_data if form.is_valid() else {}
    if franchise is None and filters.get("franchise"):
        franchise = next((f for f in franchises if str(f.pk) == filters["franchise"]), None)
    # Dates are days in each post's own franchise's zone, as its time is shown.
    posts = posts_for_user(
        user=request.user,
        franchise=franchise,
        status=filters.get("status", ""),
        source=filters.get("source", ""),
        day_from=filters.get("date_from"),
        day_to=filters.get("date_to"),
        zones={f.timezone for f in franchises or ()},
    )
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    context = {
        "form": form,
        "page": page,
        "franchise": franchise if franchises is None else None,
        "filtered_franchise": franchise,
        "date_zone": franchise.timezone if franchise else "",
        "query": urlencode(query),
        "here": request.get_full_path(),
        "many_form": ManyPostsForm(auto_id="many_%s"),
    }
    return render(request, "posts/post_list.html", context)


def _day_start(day: dt.date | None, zone) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time.min).replace(tzinfo=zone)


@login_required
@require_GET
def post_calendar(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    zone = franchise.zone
    view = "week" if request.GET.get("view") == "week" else "month"
    today = dt.datetime.now(zone).date()
    day = day_or_none(request.GET.get("date")) or today  # a missing, malformed or absurd date shows today

    if view == "month":
        first = day.replace(day=1)
        last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
        grid_start = first - dt.timedelta(days=first.weekday())
        grid_end = last + dt.timedelta(days=7 - last.weekday())  # the Monday after the last week
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        following = last + dt.timedelta(days=1)
        title = first.strftime("%B %Y")
    else:
        grid_start = day - dt.timedelta(days=day.weekday())
        grid_end = grid_start + dt.timedelta(days=7)
        previous, following = grid_start - dt.timedelta(days=7), grid_end
        first = grid_start
        title = f"Week of {grid_start:%-d %B %Y}"

    posts = posts_for_calendar(
        franchise=franchise, starts=_day_start(grid_start, zone), ends=_day_start(grid_end, zone)
    )
    by_day: dict[dt.date, list] = {}
    for post in posts:
        by_day.setdefault(post.calendar_at.astimezone(zone).date(), []).append(post)

    days = []
    current = grid_start
    while current < grid_end:
        days.append(
            {
                "date": current,
                "posts": by_day.get(current, []),
                "in_month": view == "week" or current.month == first.month,
                "is_today": current == today,
            }
        )
        current += dt.timedelta(days=1)
    weeks = [days[index : index + 7] for index in range(0, len(days), 7)]
    context = {
        "view": view,
        "title": title,
        "weeks": weeks,
        "days": days,
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "previous": previous.isoformat(),
        "following": following.isoformat(),
        "today": today.isoformat(),
        "today_date": today,
        "new_post_time": NEW_POST_TIME,
        "date": day.isoformat(),
    }
    return render_in_zone(request, franchise, "posts/calendar.html", context)
