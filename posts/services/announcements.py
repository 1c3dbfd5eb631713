"""Headquarters announcements: one post for many franchises, each at the same local time; or a
repeating announcement: one repeating post (posts/services/series.py) per franchise. Either is
kept as one Announcement, whose posts not yet published can be edited or cancelled together."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from franchises.variables import (
    franchise_values,
    franchises_missing_values,
    placeholder_problems,
    text_filled,
    values_missing,
    variables_used,
)
from gbp_scheduler.times import clock_text, day_text, validate_sane_datetime

from .. import content as spec
from ..brand import brand_rules_current, photo_sizes_of, post_check_messages
from ..content import DATETIMES
from ..locked_fields import locked_names
from ..models import Announcement, Post, PostSeries
from ..selectors import announcement_posts
from .bulk import post_with_changes, posts_delete_many, posts_update_many
from .editing import PostActionError, post_build, post_schedule, posts_cancel_when_free, posts_create_many
from .series import series_create, series_end

# Up to this many franchises, a repeating announcement's first weeks are made at once; a larger
# group's are made by the materialise-series job's next run (within the hour).
MATERIALISE_NOW_MAX = 50

# What every post of an announcement shares besides its text: a post's content (posts/content.py).
SHARED_FIELDS = [name for name in spec.TYPED if name != "summary"]


def announcement_placeholder_problems(*, template: str) -> list[str]:
    """Each word in braces that is neither {name}, {city} nor a variable headquarters defined,
    said so before anything is sent (franchises/variables.py)."""
    return placeholder_problems(template)


def announcement_text(*, template: str, franchise, values: dict | None = None) -> str:
    """The announcement text for one franchise: {name}, {city} and the variables in `values` (the
    franchise's own: franchises/variables.py's franchise_values) filled in."""
    return text_filled(template, franchise=franchise, values=values or {})


def announcement_time(*, franchise, date: dt.date, local_time: dt.time) -> dt.datetime:
    """The same wall-clock time in each franchise's own zone."""
    return dt.datetime.combine(date, local_time).replace(tzinfo=franchise.zone)


def _local_fields(fields: dict, franchise) -> dict:
    """An event's or offer's start and end, typed as wall-clock times, in the franchise's own zone
    (like the publish time)."""
    return {
        name: value.replace(tzinfo=franchise.zone)
        if name in DATETIMES and value is not None and value.tzinfo is None
        else value
        for name, value in fields.items()
    }


def _walls(fields: dict) -> dict:
    """`fields` as the announcement keeps them: its wall-clock date-times labelled UTC (a column
    needs a zone; each franchise reads the wall clock in its own)."""
    return {
        name: value.replace(tzinfo=dt.UTC) if name in DATETIMES and value is not None else value
        for name, value in fields.items()
    }


def announcement_content(announcement: Announcement) -> dict:
    """The content the announcement gives each post, besides its text, as typed (wall-clock
    date-times without a zone): what the form starts from, and what "as sent" compares with."""
    return {
        name: value.replace(tzinfo=None) if name in DATETIMES and value is not None else value
        for name in SHARED_FIELDS
        for value in [getattr(announcement, name)]
    }


def announcement_preview(*, franchises, template: str, date: dt.date, local_time: dt.time, **fields) -> list[dict]:
    """One unsaved post per franchise with what Google would reject in it, for review before scheduling."""
    rows = []
    rules = brand_rules_current()
    sizes = photo_sizes_of([fields.get("media_url")]) if rules.photo_minimum else {}
    franchises = list(franchises)
    values = franchise_values(franchises, variables_used(template))
    for franchise in franchises:
        post = Post(
            franchise=franchise,
            summary=announcement_text(template=template, franchise=franchise, values=values[franchise.pk]),
            scheduled_at=announcement_time(franchise=franchise, date=date, local_time=local_time),
            **_local_fields(fields, franchise),
        )
        problems = post_check_messages(post, rules=rules, photo_sizes=sizes)
        problems += values_missing(template, franchise=franchise, values=values[franchise.pk])
        try:
            validate_sane_datetime(post.scheduled_at)
        except ValidationError as exc:
            problems = [*problems, *exc.messages]
        rows.append({"franchise": franchise, "post": post, "problems": problems})
    return rows


def announcement_schedule(
    *,
    franchises,
    template: str,
    date: dt.date,
    local_time: dt.time,
    user: AbstractBaseUser,
    locked: list[str] = (),
    **fields,
) -> list[Post]:
    """Create and schedule one post per franchise, all or none; `locked`: the parts (keys of
    content.LOCKS) no franchise may change on its post (posts/locked_fields.py).

    1. build every franchise's post and refuse the lot if any would be rejected by Google;
    2. create them scheduled, with their history, in one transaction (two INSERTs)."""
    if placeholder_problems := announcement_placeholder_problems(template=template):
        raise PostActionError(" ".join(placeholder_problems))
    rows = announcement_preview(franchises=franchises, template=template, date=date, local_time=local_time, **fields)
    problems = [f"{row['franchise'].name}: {' '.join(row['problems'])}" for row in rows if row["problems"]]
    if problems:
        raise PostActionError(" ".join(problems))
    announcement = _announcement_build(
        template=template, date=date, local_time=local_time, user=user, locked=locked, **fields
    )
    announcement.franchise_count = len(rows)
    rules = brand_rules_current()
    sizes = photo_sizes_of([fields.get("media_url")]) if rules.photo_minimum else {}
    posts = [
        post_build(
            franchise=row["franchise"],
            user=user,
            status=Post.Status.SCHEDULED,
            scheduled_at=row["post"].scheduled_at,
            validate_constraints=False,  # the database checks them; one query each would be 9,000
            rules=rules,
            photo_sizes=sizes,
            summary=row["post"].summary,
            **_local_fields(fields, row["franchise"]),
        )
        for row in rows
    ]
    for post in posts:
        post.announcement = announcement
    detail = f"Headquarters announcement, for {day_text(date)}, {clock_text(local_time)} local time."
    with transaction.atomic():
        announcement.save()
        return posts_create_many(posts=posts, user=user, history_detail=detail)


def _announcement_build(
    *, template: str, date: dt.date, local_time: dt.time, user, rule: str = "", locked=(), **fields
):
    shared = {name: spec.stored(name, fields.get(name)) for name in SHARED_FIELDS}
    return Announcement(
        summary=template,
        date=date,
        local_time=local_time,
        rule=rule,
        locked=_locks_checked(locked),
        created_by=user if getattr(user, "pk", None) else None,
        **_walls({**shared, "topic_type": fields.get("topic_type") or Post.TopicType.STANDARD}),
    )


def announcement_series_create(
    *, franchises, template: str, date: dt.date, local_time: dt.time, rule: str, user: AbstractBaseUser, **fields
) -> list:
    """A repeating announcement: one series per franchise, each with its own text ({name},
    {city}) at `local_time` in its own zone, from `date` on `rule`, sharing one announcement id;
    all or none (refused when Google would reject any franchise's text)."""
    rows = announcement_preview(franchises=franchises, template=template, date=date, local_time=local_time, **fields)
    problems = [f"{row['franchise'].name}: {' '.join(row['problems'])}" for row in rows if row["problems"]]
    if problems:
        raise PostActionError(" ".join(problems))
    announcement = _announcement_build(
        template=template, date=date, local_time=local_time, user=user, rule=rule, **fields
    )
    announcement.franchise_count = len(rows)
    with transaction.atomic():
        announcement.save()
        return [
            series_create(
                franchise=row["franchise"],
                user=user,
                rule=rule,
                starts_on=date,
                local_time=local_time,
                announcement_id=announcement.pk,
                materialise=len(rows) <= MATERIALISE_NOW_MAX,
                summary=row["post"].summary,
                **_local_fields(fields, row["franchise"]),
            )
            for row in rows
        ]


def _as_sent(post: Post, announcement: Announcement, values: dict) -> dict:
    """Each content field of the post as the announcement made it (the text filled in for its
    franchise): a post whose value differs was adjusted by its franchise since, and "edit all"
    keeps that adjustment unless told to overwrite it. (A franchise whose variable's value changed
    since reads as adjusted too: its text is no longer what the announcement makes.)"""
    franchise = post.franchise
    made = _local_fields(announcement_content(announcement), franchise)
    made["summary"] = announcement_text(template=announcement.summary, franchise=franchise, values=values[franchise.pk])
    return made


def _locks_checked(locked) -> list[str]:
    unknown = set(locked) - set(spec.LOCKS)
    if unknown:
        raise ValueError(f"Not a part that can be locked: {', '.join(sorted(unknown))}")
    return [key for key in spec.LOCKS if key in locked]


def announcement_edit_all(
    *,
    announcement: Announcement,
    user: AbstractBaseUser,
    template: str,
    date: dt.date | None = None,
    local_time: dt.time | None = None,
    posts: list[Post] | None = None,
    locked: list[str] | None = None,
    overwrite: bool = False,
    **fields,
) -> dict:
    """Change the text (re-filled per franchise), the content (type, its fields, button, photo) and
    the day and local time of every post of the announcement that is not yet published, each as
    post_update and post_schedule would, the content in a bounded number of queries
    (posts_update_many). A field not given stays as the announcement has it; an event's date-times
    are wall-clock times, each in its franchise's zone.

    1. refuse an unknown placeholder, a new time already past in any franchise, or the lot when
       Google would reject any franchise's post;
    2. leave the published posts alone; on the others, keep each part a franchise adjusted since
       (its photo, its own line) as it made it, unless `overwrite` or that part is locked (`locked`:
       the lock keys from now on, None: as they are), and name those franchises;
    3. update the posts' content: those never sent to Google in bulk, a few queries per 500 posts,
       each over the version read and only where no publish run holds it; any post Google may
       already hold a copy of (a create that may have landed) one by one through post_update, its
       careful path. A post being published or changed at that moment is named, not changed;
    4. move those scheduled at the announcement's time to the new one, one by one through
       post_schedule; one moved by hand keeps its own time (and is named);
    5. keep the new content and time on the announcement, so the next "edit all" knows these posts.
    Returns the names of the franchises per outcome (in the posts' order): "edited", "kept_local"
    (edited, keeping their own adjustments), "overwritten" (edited, their adjustments replaced),
    "busy", and "kept_time" (edited, but at a time of their own)."""
    if placeholder_problems := announcement_placeholder_problems(template=template):
        raise PostActionError(" ".join(placeholder_problems))
    date, local_time = date or announcement.date, local_time or announcement.local_time
    shared = {**announcement_content(announcement), **fields}
    topic = shared.get("topic_type") or Post.TopicType.STANDARD
    shared = {
        name: spec.stored(name, shared.get(name) if spec.carries(topic, name) else None) for name in SHARED_FIELDS
    }
    shared["topic_type"] = topic
    posts = list(announcement_posts(announcement=announcement)) if posts is None else posts
    keys = dict.fromkeys([*variables_used(announcement.summary), *variables_used(template)])
    values = franchise_values({post.franchise for post in posts}, keys)
    waiting = [post.franchise for post in posts if post.status != Post.Status.PUBLISHED]
    if missing := franchises_missing_values(template, waiting, values):
        raise PostActionError(f"{missing} Nothing was changed.")
    locked = list(announcement.locked or []) if locked is None else _locks_checked(locked)
    held = set(locked_names(locked))
    outcome = {"edited": [], "kept_local": [], "overwritten": [], "busy": [], "kept_time": []}
    todo, times = [], {}
    now = timezone.now()
    rules = brand_rules_current()
    sizes = photo_sizes_of([shared.get("media_url")]) if rules.photo_minimum else {}
    for post in posts:
        if post.status == Post.Status.PUBLISHED:
            continue
        changes = {
            "summary": announcement_text(template=template, franchise=post.franchise, values=values[post.franchise.pk]),
            **_local_fields(shared, post.franchise),
        }
        made = _as_sent(post, announcement, values)
        adjusted = [name for name in changes if getattr(post, name) != made[name] and name not in held]
        if adjusted and overwrite:
            outcome["overwritten"].append(post.franchise.name)
        elif adjusted:
            outcome["kept_local"].append(post.franchise.name)
            changes = {name: value for name, value in changes.items() if name not in adjusted}
        # Drafts too: the text is headquarters', and a draft of it is meant to be scheduled.
        if problems := post_check_messages(post_with_changes(post, changes), rules=rules, photo_sizes=sizes):
            raise PostActionError(f"{post.franchise.name}: {' '.join(problems)} Nothing was changed.")
        # A new time moves the posts still at the announcement's; one moved by hand keeps its own.
        sent_at = announcement_time(
            franchise=post.franchise, date=announcement.date, local_time=announcement.local_time
        )
        at = announcement_time(franchise=post.franchise, date=date, local_time=local_time)
        if post.status == Post.Status.SCHEDULED and at != sent_at:
            if post.scheduled_at != sent_at:
                outcome["kept_time"].append(post.franchise.name)
            elif at <= now:
                raise PostActionError(f"{post.franchise.name}: that time has passed there. Nothing was changed.")
            else:
                times[post.pk] = at
        todo.append((post, changes))
    # Being published, or changed by someone, at this very moment: named, not changed.
    done, _busy = posts_update_many(changes=todo, user=user, rules=rules, by_announcement=True)
    for post in Post.objects.select_related("franchise").filter(pk__in=[pk for pk in times if pk in done]):
        try:
            post_schedule(post=post, at=times[post.pk], user=user)
        except PostActionError:
            done.discard(post.pk)
    for post, _changes in todo:
        outcome["edited" if post.pk in done else "busy"].append(post.franchise.name)
    Announcement.objects.filter(pk=announcement.pk).update(
        summary=template, date=date, local_time=local_time, locked=locked, **_walls(shared)
    )
    announcement.locked = locked
    busy = set(outcome["busy"])
    for key in ("kept_local", "overwritten"):
        outcome[key] = [name for name in outcome[key] if name not in busy]
    return outcome


def announcement_cancel_all(
    *, announcement: Announcement, user: AbstractBaseUser, posts: list[Post] | None = None
) -> dict:
    """Delete every post of the announcement not yet published, each as post_delete would (its
    history says so), in a bounded number of queries (posts_delete_many: those never sent to
    Google in bulk, any that Google may hold a copy of one by one through post_delete, which
    hands that copy to GoogleDeletion), and end a repeating announcement's series (series_end
    deletes their future posts). Published posts stay. The counts: "deleted", "busy" (being
    published or changed at that moment), "series_ended"."""
    counts = {"deleted": 0, "busy": 0, "series_ended": 0}
    posts = list(announcement_posts(announcement=announcement) if posts is None else posts)
    waiting = [post for post in posts if post.status != Post.Status.PUBLISHED]
    deleted, refused = posts_delete_many(posts=waiting, user=user)
    counts["deleted"] += len(deleted)
    counts["busy"] += len(refused)
    posts_cancel_when_free(ids=refused)  # remembered by the rows: never published after this
    for series in PostSeries.objects.filter(announcement_id=announcement.pk, ended_at=None):
        try:
            ended = series_end(series=series, user=user)
        except PostActionError:
            continue  # ended by someone else meanwhile
        counts["series_ended"] += 1
        counts["deleted"] += ended["deleted"]
        counts["busy"] += ended["busy"]
    return counts
