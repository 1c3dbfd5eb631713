"""Reads of posts."""

from __future__ import annotations

import datetime as dt
import heapq
import zoneinfo
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, DateField, F, Func, Q, QuerySet, Sum, When
from django.shortcuts import get_object_or_404

from franchises.models import Franchise, FranchiseEvent, Membership
from franchises.selectors import franchises_for_user, of_franchises, user_is_franchise_admin, user_is_headquarters

from .models import (
    REJECTION_REASON_MARK,
    Announcement,
    Post,
    PostEvent,
    PostHourCount,
    PostNote,
    PostSeries,
    TakedownRequest,
    cancelled,
    lock_stale_before,
)


def posts_due(*, now: dt.datetime) -> QuerySet[Post]:
    """Scheduled posts whose time has come, not locked (or locked stale), retry time reached,
    of active franchises, oldest first."""
    return (
        Post.objects.filter(
            ~cancelled(), status=Post.Status.SCHEDULED, scheduled_at__lte=now, franchise__is_active=True
        )
        .filter(Q(publishing_at__isnull=True) | Q(publishing_at__lt=lock_stale_before(now)))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("scheduled_at", "created_at")
    )


# A post due at most this long ago is fresh: it goes ahead of an older backlog (posts_due_in_turn).
FRESH = dt.timedelta(minutes=5)
BACKLOG = 2  # posts_due_in_turn's turn of an announcement's posts due longer ago


def posts_due_in_turn(*, now: dt.datetime) -> QuerySet[Post]:
    """posts_due in the order a publish run takes them: a location's own post (not part of an
    announcement) first, then an announcement's posts due in the last FRESH minutes, then the
    older announcements' backlog, each oldest first (in no set order among equal times). So a
    post due while an announcement to thousands of locations goes out at the quota's pace waits
    behind none of it, and a newer, smaller announcement does not wait for an older, bigger one
    to finish. (A run keeps each franchise's own posts in scheduled order: publishing.py,
    _older_of_their_franchises.)"""
    turn = Case(
        When(announcement__isnull=True, then=0),
        When(scheduled_at__gte=now - FRESH, then=1),
        default=BACKLOG,
    )
    # Posts due at the same time (an announcement's) in an order of each read's own: runs that
    # overlap then work different parts of a backlog instead of racing for the same posts.
    return posts_due(now=now).annotate(turn=turn).order_by("turn", "scheduled_at", "?")


def rejection_reasons_recent(*, franchise_id, limit: int = 5, excluding=()) -> list[str]:
    """The reasons staff gave when they last rejected drafts of the franchise, newest first;
    `excluding`: ids of rejection events not to count (rejections undone since; a subquery)."""
    details = (
        PostEvent.objects.filter(
            franchise_id=franchise_id, action=PostEvent.Action.REJECTED, detail__contains=REJECTION_REASON_MARK
        )
        .exclude(pk__in=excluding)
        .order_by("-created_at")
        .values_list("detail", flat=True)[:limit]
    )
    return [detail.partition(REJECTION_REASON_MARK)[2] for detail in details]


# --- the dashboard's reads, always scoped to the user's franchises ---------------------------------


def post_get_for_user(*, user: AbstractBaseUser, post_id) -> Post:
    """The post, or 404 when it belongs to a franchise the user is not in."""
    scoped = Post.objects.filter(franchise__in=franchises_for_user(user=user)).select_related("franchise")
    return get_object_or_404(scoped, pk=post_id)


def post_may_delete(*, user: AbstractBaseUser, post: Post) -> bool:
    """Whether `user` (who sees the post) may delete it: anyone of its franchise until it is live on
    Google; then only its admins (the others ask them: a takedown request)."""
    if post.status != Post.Status.PUBLISHED:
        return True
    return user_is_franchise_admin(user=user, franchise=post.franchise)


def takedown_requests_waiting(*, user: AbstractBaseUser) -> QuerySet[TakedownRequest]:
    """The requests to take a live post down that wait for `user` as an admin, oldest first: every
    franchise's for headquarters, else those of the franchises they administer. One whose post is
    gone (deleted meanwhile) waits for nobody."""
    waiting = TakedownRequest.objects.filter(status=TakedownRequest.Status.OPEN, post__isnull=False)
    if not user_is_headquarters(user):
        waiting = waiting.filter(franchise__memberships__user=user, franchise__memberships__role=Membership.Role.ADMIN)
    return waiting.select_related("franchise", "post", "requested_by").order_by("created_at")


def takedown_request_of_post(*, post: Post) -> TakedownRequest | None:
    """The request to take the post down that waits, if any; else the last one answered."""
    return (
        TakedownRequest.objects.filter(post=post)
        .select_related("requested_by", "answered_by")
        .order_by(F("answered_at").desc(nulls_first=True), "-created_at")
        .first()
    )


def series_get_for_user(*, user: AbstractBaseUser, series_id) -> PostSeries:
    """The repeating post, or 404 when it belongs to a franchise the user is not in."""
    scoped = PostSeries.objects.filter(franchise__in=franchises_for_user(user=user)).select_related("franchise")
    return get_object_or_404(scoped, pk=series_id)


def series_of_franchise(*, franchise: Franchise) -> QuerySet[PostSeries]:
    """The franchise's repeating posts, running ones first, newest first."""
    return PostSeries.objects.filter(franchise=franchise).order_by(F("ended_at").desc(nulls_first=True), "-created_at")


def series_upcoming(*, series: PostSeries) -> QuerySet[Post]:
    """The series' occurrences not published yet, and the latest published ones, by time."""
    return Post.objects.filter(series=series).select_related("franchise").order_by("scheduled_at")


def posts_visible_to_user(*, user: AbstractBaseUser) -> QuerySet[Post]:
    """Every post the user may see: of the user's franchises (headquarters': every post,
    of_franchises); unfiltered and unordered, for other selectors to narrow."""
    return of_franchises(Post.objects.all(), franchises_for_user(user=user))


def posts_list_for_user(
    *,
    user: AbstractBaseUser,
    franchise: Franchise | None = None,
    status: str = "",
    source: str = "",
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    zones: Iterable[str] = (),
) -> QuerySet[Post]:
    """The posts list's query: the user's posts (one franchise's when given), filtered, newest
    first by the time a person sees for each (`shown_at`: when it was published, else when it is
    planned); drafts without a time lead.

    `day_from`/`day_to` (both included) are days in each post's own franchise's zone: one bound
    per zone among `zones` (the zones of the franchises in scope), so a post at 23:30 in Chicago
    is on the day Chicago calls it, whatever the other franchises' zones."""
    posts = posts_visible_to_user(user=user)
    if franchise is not None:
        posts = posts.filter(franchise=franchise)
        zones = [franchise.timezone]
    if status:
        posts = posts.filter(status=status)
    if source:
        posts = posts.filter(source=source)
    if day_from is not None or day_to is not None:
        posts = posts.filter(_local_days(day_from, day_to, zones=set(zones)))
    return posts.select_related("franchise").order_by(F("shown_at").desc(nulls_first=True), "-created_at", "-id")


def _local_days(day_from: dt.date | None, day_to: dt.date | None, *, zones: set[str]) -> Q:
    """Posts whose shown time falls on [day_from, day_to] in their franchise's zone."""
    matches = Q(pk__in=[])
    for name in sorted(zones):
        zone = zoneinfo.ZoneInfo(name)
        bounds = Q(franchise__timezone=name)
        if day_from is not None:
            bounds &= Q(shown_at__gte=dt.datetime.combine(day_from, dt.time.min, tzinfo=zone))
        if day_to is not None:
            bounds &= Q(shown_at__lt=dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
        matches |= bounds
    return matches


def posts_pick_for_user(*, user: AbstractBaseUser, post_ids: Iterable) -> list[Post]:
    """The posts among `post_ids` in the user's franchises (others' are left out), in one query."""
    scoped = Post.objects.filter(franchise__in=franchises_for_user(user=user), pk__in=list(post_ids))
    return list(scoped.select_related("franchise").order_by("scheduled_at", "created_at"))


def posts_for_calendar(*, franchise: Franchise, starts: dt.datetime, ends: dt.datetime) -> QuerySet[Post]:
    """A franchise's posts shown in [starts, ends): published ones at their publish time. Through
    the franchise's manager, so each post knows its franchise (its state reads it) without a query."""
    return franchise.posts.filter(shown_at__gte=starts, shown_at__lt=ends).order_by("shown_at", "id")


def posts_for_calendar_across(
    *, user: AbstractBaseUser, franchise: Franchise | None, starts: dt.datetime, ends: dt.datetime
) -> QuerySet[Post]:
    """The user's posts (one franchise's when given) shown in [starts, ends), as
    posts_for_calendar, with their franchises."""
    posts = posts_visible_to_user(user=user).filter(shown_at__gte=starts, shown_at__lt=ends)
    if franchise is not None:
        posts = posts.filter(franchise=franchise)
    return posts.select_related("franchise").order_by("shown_at", "id")


class _ShiftedDate(Func):
    """The date of a UTC timestamp moved by a fixed number of minutes (a zone's UTC offset), worked
    out by the database itself (no function of ours called per row)."""

    output_field = DateField()

    def __init__(self, expression, *, minutes: int):
        super().__init__(expression)
        self.minutes = minutes

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", [*params, f"{self.minutes:+d} minutes"]

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) AT TIME ZONE 'UTC' + make_interval(mins => %s))::date", [*params, self.minutes]


def _offset_stretches(zone: zoneinfo.ZoneInfo, starts: dt.datetime, ends: dt.datetime) -> list[tuple]:
    """[from, to) stretches of [starts, ends) in which `zone` keeps one UTC offset, with that
    offset in minutes: one stretch, or two or three around a change to or from summer time."""

    def offset(at: dt.datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds() // 60)

    stretches, begin, current = [], starts, offset(starts)
    day = starts
    while day < ends:
        following = min(day + dt.timedelta(days=1), ends)
        if offset(following) != current:
            low, high = day, following  # the change lies in (low, high]: halve to the second
            while high - low > dt.timedelta(seconds=1):
                middle = low + dt.timedelta(seconds=(high - low).total_seconds() // 2)
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            stretches.append((begin, high, current))
            begin, current = high, offset(high)
        day = following
    if begin < ends:
        stretches.append((begin, ends, current))
    return stretches


def _zone_day(name: str, starts: dt.datetime, ends: dt.datetime, *, field: str = "shown_at") -> Case | _ShiftedDate:
    """The day in zone `name` of a time `field` in [starts, ends), as SQL: the UTC time moved by the
    zone's offset, which changes at most a couple of times in a calendar's weeks (summer time)."""
    stretches = _offset_stretches(zoneinfo.ZoneInfo(name), starts, ends)
    if len(stretches) == 1:
        return _ShiftedDate(F(field), minutes=stretches[0][2])
    whens = [
        When(Q(**{f"{field}__gte": begin, f"{field}__lt": end}), then=_ShiftedDate(F(field), minutes=minutes))
        for begin, end, minutes in stretches
    ]
    return Case(*whens, output_field=DateField())


def _counted_by_the_hour(name: str, starts: dt.datetime, ends: dt.datetime) -> bool:
    """Whether PostHourCount's UTC hours each fall on one day of zone `name` over [starts, ends):
    bounds on the hour and the zone's offsets whole hours (not so in India or Newfoundland)."""
    on_the_hour = all(at.minute == at.second == at.microsecond == 0 for at in (starts, ends))
    return on_the_hour and all(
        minutes % 60 == 0 for _, _, minutes in _offset_stretches(zoneinfo.ZoneInfo(name), starts, ends)
    )


def posts_calendar_day_counts(
    *, user: AbstractBaseUser, starts: dt.datetime, ends: dt.datetime, zones: Iterable[str]
) -> dict[dt.date, dict[str, int]]:
    """How many of the user's posts shown in [starts, ends) fall on each day, in each post's own
    franchise's zone (`zones`: those of the user's franchises), by status: {day: {status: n}}.

    One statement, whatever the number of posts: a part per zone, its day worked out by the
    database, the parts' rows added up here. Headquarters (every franchise) reads the zone's posts
    counted by the hour (PostHourCount, kept exact by triggers: a month is some 20,000 rows rather
    than every post of it); others read their franchises' posts through the calendar index
    (franchise, time shown), as does a zone whose hours straddle its days."""
    scope = franchises_for_user(user=user)
    everything = not scope.query.has_filters()
    parts = []
    for name in sorted(set(zones)):
        if everything and _counted_by_the_hour(name, starts, ends):
            hours = PostHourCount.objects.filter(zone=name, hour__gte=starts, hour__lt=ends).exclude(posts=0)
            parts.append(
                hours.order_by()
                .annotate(day=_zone_day(name, starts, ends, field="hour"))
                .values("day", "status")
                .annotate(count=Sum("posts"))
            )
            continue
        posts = Post.objects.filter(
            franchise__in=scope.filter(timezone=name).values("pk"), shown_at__gte=starts, shown_at__lt=ends
        )
        parts.append(
            posts.order_by()
            .annotate(day=_zone_day(name, starts, ends))
            .values("day", "status")
            .annotate(count=Count("*"))
        )
    if not parts:
        return {}
    counts: dict[dt.date, dict[str, int]] = {}
    for row in parts[0].union(*parts[1:], all=True):
        day = counts.setdefault(row["day"], {})
        day[row["status"]] = day.get(row["status"], 0) + row["count"]
    return counts


def drafts_for_review(*, user: AbstractBaseUser) -> QuerySet[Post]:
    """AI drafts waiting for a person, soonest planned first."""
    return posts_list_for_user(user=user, status=Post.Status.DRAFT, source=Post.Source.AI).order_by(
        F("scheduled_at").asc(nulls_last=True), "created_at", "id"
    )


def post_events_for_post(*, post: Post) -> QuerySet[PostEvent]:
    return PostEvent.objects.filter(post=post).select_related("actor").order_by("-created_at")


def post_history(*, post: Post) -> list:
    """The post's history: its events and its team notes (PostNote), newest first. A post's own
    history is short (tens of rows): both read whole."""
    notes = PostNote.objects.filter(post=post).select_related("author")
    return sorted([*post_events_for_post(post=post), *notes], key=lambda row: row.created_at, reverse=True)


def post_events_for_franchise(*, franchise: Franchise) -> QuerySet[PostEvent]:
    return PostEvent.objects.filter(franchise=franchise).select_related("actor", "post").order_by("-created_at")


class FranchiseHistory:
    """A franchise's history: its posts' events and its own (the Google connection, members and
    invitations), newest
    first, as one sequence a Paginator can page through. A page reads the newest rows of both
    tables up to its end, and merges them."""

    def __init__(self, franchise: Franchise):
        self.post_events = post_events_for_franchise(franchise=franchise)
        self.own_events = (
            FranchiseEvent.objects.filter(franchise=franchise).select_related("actor").order_by("-created_at")
        )

    def count(self) -> int:
        return self.post_events.count() + self.own_events.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list:
        stop = key.stop if key.stop is not None else self.count()
        merged = heapq.merge(
            self.post_events[:stop], self.own_events[:stop], key=lambda event: event.created_at, reverse=True
        )
        return list(merged)[key]


def announcements_sent() -> QuerySet[Announcement]:
    """Headquarters' announcements, newest first, each with how many of its posts are published
    and not yet (one query per page of them)."""
    return Announcement.objects.annotate(
        published_count=Count("posts", filter=Q(posts__status=Post.Status.PUBLISHED)),
        waiting_count=Count("posts", filter=~Q(posts__status=Post.Status.PUBLISHED)),
    ).order_by("-created_at")


def announcement_posts(*, announcement: Announcement) -> QuerySet[Post]:
    """Every post of the announcement with its franchise, by franchise name."""
    return announcement.posts.select_related("franchise").order_by("franchise__name", "scheduled_at", "pk")


def announcement_counts(*, announcement: Announcement) -> dict[str, int]:
    """How many posts the announcement has, and how many of them are not yet published (one query)."""
    return announcement.posts.aggregate(total=Count("pk"), waiting=Count("pk", filter=~Q(status=Post.Status.PUBLISHED)))


def announcement_series(*, announcement: Announcement) -> list[PostSeries]:
    """A repeating announcement's series (one per franchise) with their franchises."""
    return list(
        PostSeries.objects.filter(announcement_id=announcement.pk)
        .select_related("franchise")
        .order_by("franchise__name")
    )
