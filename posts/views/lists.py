"""The posts list (all the user's franchises, or one), a franchise's month and week calendar, and
one calendar across the user's franchises."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import re
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from franchises.picking import FranchiseChoices, franchise_choices, franchise_chosen, franchise_filter_widget
from franchises.selectors import franchise_get_for_user, franchises_for_user
from gbp_scheduler.downloads import csv_download, ical_download
from gbp_scheduler.http import id_parameters
from gbp_scheduler.paging import CappedPaginator
from gbp_scheduler.times import day_or_none, day_text, month_text

from ..exports import EXPORT_COLUMNS, posts_csv_rows, posts_ical
from ..forms import ManyPostsForm, PostFilterForm
from ..models import Post
from ..selectors import posts_calendar_day_counts, posts_for_calendar, posts_for_calendar_across, posts_list_for_user
from ._common import render_in_zone

PAGE_SIZE = 25
EXPORT_CHUNK = 500  # posts read at a time while a download streams
NEW_POST_TIME = "09:00"  # a post written from a calendar day starts at this local time
# The calendar across franchises lists each post up to this many in its weeks; past it, each day
# gives its count by status and a link to its list.
CALENDAR_POSTS_SHOWN = 300
# Across franchises a day lists this many posts (a month's cell, a week's), then "+N more": three
# franchises posting daily would grow one cell past a screen's height.
DAY_POSTS_SHOWN = {"month": 3, "week": 8}
# Each franchise on the calendar across franchises gets a colour (app.css: .fr-0 ...) and, for
# whoever cannot tell the colours apart, a short code beside its posts and in the legend.
FRANCHISE_COLOURS = 8
STATUS_LABELS = [(status.value, status.label.lower()) for status in Post.Status]


@login_required
@require_GET
@id_parameters("franchise")
def post_list(request: HttpRequest) -> HttpResponse:
    return _list(request, franchises=franchise_choices(user=request.user), franchise=None)


@login_required
@require_GET
@id_parameters("franchise")
def post_list_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The posts list as a CSV file, with the list's filters (`?franchise=` for one franchise's),
    every page of it: only the user's posts (posts/exports.py says the columns)."""
    _form, _franchise, posts = _filtered(request, franchises=franchise_choices(user=request.user), franchise=None)
    return csv_download("posts.csv", EXPORT_COLUMNS, posts_csv_rows(posts.iterator(chunk_size=EXPORT_CHUNK)))


@login_required
@require_GET
def franchise_post_list(request: HttpRequest, franchise_id) -> HttpResponse:
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    return _list(request, franchises=None, franchise=franchise)


def _filtered(request: HttpRequest, *, franchises: FranchiseChoices | None, franchise) -> tuple:
    """The list's filter form, the franchise it narrows to, and the user's posts it picks.
    `franchises`: the filter's (None on a franchise's own list, which has no such filter)."""
    if franchises is not None:
        franchise = franchise_chosen(user=request.user, franchise_id=request.GET.get("franchise", ""))
    form = PostFilterForm(request.GET or None, franchises=franchises, chosen=franchise)
    filters = form.cleaned_data if form.is_valid() else {}
    # Dates are days in each post's own franchise's zone, as its time is shown.
    posts = posts_list_for_user(
        user=request.user,
        franchise=franchise,
        status=filters.get("status", ""),
        source=filters.get("source", ""),
        day_from=filters.get("date_from"),
        day_to=filters.get("date_to"),
        zones=franchises.zones if franchises is not None else (),
    )
    return form, franchise, posts


def _list(request: HttpRequest, *, franchises, franchise) -> HttpResponse:
    form, franchise, posts = _filtered(request, franchises=franchises, franchise=franchise)
    page = CappedPaginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))  # counts to 1,000
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    context = {
        "form": form,
        "page": page,
        "franchise": franchise if franchises is None else None,
        "filtered_franchise": franchise,
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
    grid = _Grid(request, today=dt.datetime.now(zone).date())
    posts = posts_for_calendar(
        franchise=franchise, starts=_day_start(grid.start, zone), ends=_day_start(grid.end, zone)
    )
    context = grid.context(posts, zone_of=lambda post: zone)
    return render_in_zone(request, franchise, "posts/calendar.html", context)


@login_required
@require_GET
@id_parameters("franchise")
def post_calendar_all(request: HttpRequest) -> HttpResponse:
    """One calendar across the user's franchises (all of them, or one: `?franchise=`), each post on
    its day in its own franchise's zone, at its local time. Across more than CALENDAR_POSTS_SHOWN
    posts (a group's month), each day says how many posts it has, by status, with a link to that
    day's list; picking a franchise shows its posts to drag."""
    choices = franchise_choices(user=request.user)
    chosen = request.GET.get("franchise", "")
    franchise = franchise_chosen(user=request.user, franchise_id=chosen)
    grid = _Grid(request, today=dt.datetime.now(dt.UTC).date())
    # A day in any zone lies within a day of UTC either side.
    starts = _day_start(grid.start - dt.timedelta(days=1), dt.UTC)
    ends = _day_start(grid.end + dt.timedelta(days=1), dt.UTC)
    counts = {}
    if franchise is None:
        counts = posts_calendar_day_counts(user=request.user, starts=starts, ends=ends, zones=choices.zones)
    if franchise is not None or sum(sum(day.values()) for day in counts.values()) <= CALENDAR_POSTS_SHOWN:
        posts, counts = posts_for_calendar_across(user=request.user, franchise=franchise, starts=starts, ends=ends), {}
    else:
        posts = []
    posts = list(posts)
    legend = _franchise_marks(posts)
    context = grid.context(
        posts, zone_of=lambda post: post.franchise.zone, counts=counts, shown=DAY_POSTS_SHOWN[grid.view]
    )
    filter_query = f"&franchise={franchise.pk}" if franchise else ""
    select = franchise_filter_widget(choices, chosen=franchise, attrs={"id": "calendar-franchise"})
    context.update(
        across=True,
        franchise_select=select.render("franchise", chosen),
        chosen=franchise,
        filter_query=filter_query,
        counted=bool(counts),
        legend=legend,
    )
    return render(request, "posts/calendar.html", context)


def _calendar_posts(request: HttpRequest) -> tuple[list, _Grid, str]:
    """The user's posts on the calendar's days (`?date=`, `?view=`, one franchise's with
    `?franchise=`), each on the day its own franchise's zone puts it: what the calendar across
    franchises shows, for its downloads. Also the grid and a name for the file."""
    scope = franchises_for_user(user=request.user)
    franchise = None
    if chosen := request.GET.get("franchise", ""):
        franchise = scope.only("id", "name", "timezone").filter(pk=chosen).first()
        if franchise is None:
            raise Http404("No such franchise.")
    grid = _Grid(request, today=dt.datetime.now(dt.UTC).date())
    starts = _day_start(grid.start - dt.timedelta(days=1), dt.UTC)
    ends = _day_start(grid.end + dt.timedelta(days=1), dt.UTC)
    posts = posts_for_calendar_across(user=request.user, franchise=franchise, starts=starts, ends=ends)
    shown = [post for post in posts if grid.start <= post.shown_at.astimezone(post.franchise.zone).date() < grid.end]
    name = f"posts-{grid.start.isoformat()}" + (f"-{slugify(franchise.name)}" if franchise else "")
    return shown, grid, name


@login_required
@require_GET
@id_parameters("franchise")
def post_calendar_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The calendar's month (or week) as a CSV file: the posts of its days, as the posts list's file."""
    posts, _grid, name = _calendar_posts(request)
    return csv_download(f"{name}.csv", EXPORT_COLUMNS, posts_csv_rows(posts))


@login_required
@require_GET
@id_parameters("franchise")
def post_calendar_ics(request: HttpRequest) -> HttpResponse:
    """The calendar's month (or week) as an iCalendar file, for people's own calendars."""
    posts, grid, name = _calendar_posts(request)
    return ical_download(f"{name}.ics", posts_ical(posts, name=f"Posts: {grid.title}"))


class _Grid:
    """The month (or week: `?view=week`) around `?date=` (default today), as calendar days."""

    def __init__(self, request: HttpRequest, *, today: dt.date):
        self.view = "week" if request.GET.get("view") == "week" else "month"
        self.today = today
        day = day_or_none(request.GET.get("date")) or today  # a missing, malformed or absurd date shows today
        self.day = day
        if self.view == "month":
            first = day.replace(day=1)
            last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
            self.start = first - dt.timedelta(days=first.weekday())
            self.end = last + dt.timedelta(days=7 - last.weekday())  # the Monday after the last week
            self.previous = (first - dt.timedelta(days=1)).replace(day=1)
            self.following = last + dt.timedelta(days=1)
            self.first = first
            self.title = month_text(first)
        else:
            self.start = day - dt.timedelta(days=day.weekday())
            self.end = self.start + dt.timedelta(days=7)
            self.previous, self.following = self.start - dt.timedelta(days=7), self.end
            self.first = self.start
            self.title = f"Week of {day_text(self.start)}"

    def context(self, posts, *, zone_of, counts: dict | None = None, shown: int | None = None) -> dict:
        """The grid's days with their posts (the first `shown` of each day, and how many more), or
        with `counts` ({day: {status: n}}) in their stead."""
        by_day: dict[dt.date, list] = {}
        for post in posts:
            by_day.setdefault(post.shown_at.astimezone(zone_of(post)).date(), []).append(post)
        counts = counts or {}
        days = []
        current = self.start
        while current < self.end:
            day_counts = counts.get(current, {})
            days.append(
                {
                    "date": current,
                    "posts": by_day.get(current, [])[:shown],
                    "more": max(0, len(by_day.get(current, [])) - shown) if shown else 0,
                    "counts": [
                        (status, label, day_counts[status]) for status, label in STATUS_LABELS if status in day_counts
                    ],
                    "total": sum(day_counts.values()),
                    "in_month": self.view == "week" or current.month == self.first.month,
                    "is_today": current == self.today,
                }
            )
            current += dt.timedelta(days=1)
        return {
            "view": self.view,
            "title": self.title,
            "weeks": [days[index : index + 7] for index in range(0, len(days), 7)],
            "days": days,
            "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "previous": self.previous.isoformat(),
            "following": self.following.isoformat(),
            "today": self.today.isoformat(),
            "today_date": self.today,
            "date": self.day.isoformat(),
            "new_post_time": NEW_POST_TIME,
        }


def franchise_codes(names: list[str]) -> list[str]:
    """A short code for each name, unique among them: "Cincinnati" CIN, "Shop 12" S12, "Lake
    View Cafe" LVC."""
    codes: list[str] = []
    taken: set[str] = set()
    for name in names:
        words = re.findall(r"[^\W_]+", name) or ["?"]
        if len(words) == 1:
            base = words[0][:3]
        else:
            base = words[0][0] + "".join(word if word.isdigit() else word[0] for word in words[1:])
        base = base[:4].upper()
        code, n = base, 2
        while code in taken:
            code, n = f"{base[:3]}{n}", n + 1
        taken.add(code)
        codes.append(code)
    return codes


def _franchise_marks(posts: list[Post]) -> list[dict]:
    """The legend of the calendar across franchises: each franchise with posts shown, by name,
    with its colour and code; each post gets its franchise's `mark`."""
    franchises = sorted({post.franchise for post in posts}, key=lambda f: (f.name, str(f.pk)))
    codes = franchise_codes([f.name for f in franchises])
    marks = {
        f.pk: {"name": f.name, "code": code, "colour": n % FRANCHISE_COLOURS}
        for n, (f, code) in enumerate(zip(franchises, codes, strict=True))
    }
    for post in posts:
        post.mark = marks[post.franchise_id]
    return list(marks.values())
