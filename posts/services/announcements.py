"""Headquarters announcements: one post for many franchises, each at the same local time; or a
repeating announcement: one repeating post (posts/services/series.py) per franchise."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from gbp_scheduler.times import validate_sane_datetime

from ..gbp_mapping import post_problems
from ..models import Post
from .editing import PostActionError, post_build, posts_create_many
from .series import series_create

# Up to this many franchises, a repeating announcement's first weeks are made at once; a larger
# group's are made by the materialise-series job's next run (within the hour).
MATERIALISE_NOW_MAX = 50

# The placeholders an announcement may use, filled in per franchise.
PLACEHOLDERS = ("name", "city")
# What looks like a placeholder: a word in braces. Other braces ("{see below}") stay as typed.
PLACEHOLDER_LIKE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def announcement_placeholder_problems(*, template: str) -> list[str]:
    """Each placeholder-like word in braces that is not one of PLACEHOLDERS, said so before
    anything is sent: "{City}" would otherwise reach Google as typed."""
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    problems = []
    for word in dict.fromkeys(PLACEHOLDER_LIKE.findall(template)):
        if word in PLACEHOLDERS:
            continue
        hint = f" Did you mean {{{word.lower()}}}?" if word.lower() in PLACEHOLDERS else ""
        problems.append(f"{{{word}}} is not a placeholder.{hint} The text can use {known}, in lower case.")
    return problems


def announcement_text(*, template: str, franchise) -> str:
    """The announcement text for one franchise: {name} and {city} filled in. Plain replacement,
    not str.format, so other braces in the text stay as typed."""
    return template.replace("{name}", franchise.name).replace("{city}", franchise.city or "")


def announcement_time(*, franchise, date: dt.date, local_time: dt.time) -> dt.datetime:
    """The same wall-clock time in each franchise's own zone."""
    return dt.datetime.combine(date, local_time).replace(tzinfo=franchise.zone)


def announcement_preview(*, franchises, template: str, date: dt.date, local_time: dt.time, **fields) -> list[dict]:
    """One unsaved post per franchise with what Google would reject in it, for review before scheduling."""
    rows = []
    for franchise in franchises:
        post = Post(
            franchise=franchise,
            summary=announcement_text(template=template, franchise=franchise),
            scheduled_at=announcement_time(franchise=franchise, date=date, local_time=local_time),
            **fields,
        )
        problems = post_problems(post)
        if "{city}" in template and not (franchise.city or "").strip():
            problems = [*problems, "It has no city for {city}: set one in its settings, or leave {city} out."]
        try:
            validate_sane_datetime(post.scheduled_at)
        except ValidationError as exc:
            problems = [*problems, *exc.messages]
        rows.append({"franchise": franchise, "post": post, "problems": problems})
    return rows


def announcement_schedule(
    *, franchises, template: str, date: dt.date, local_time: dt.time, user: AbstractBaseUser, **fields
) -> list[Post]:
    """Create and schedule one post per franchise, all or none.

    1. build every franchise's post and refuse the lot if any would be rejected by Google;
    2. create them scheduled, with their history, in one transaction (two INSERTs)."""
    if placeholder_problems := announcement_placeholder_problems(template=template):
        raise PostActionError(" ".join(placeholder_problems))
    rows = announcement_preview(franchises=franchises, template=template, date=date, local_time=local_time, **fields)
    problems = [f"{row['franchise'].name}: {' '.join(row['problems'])}" for row in rows if row["problems"]]
    if problems:
        raise PostActionError(" ".join(problems))
    posts = [
        post_build(
            franchise=row["franchise"],
            user=user,
            status=Post.Status.SCHEDULED,
            scheduled_at=row["post"].scheduled_at,
            validate_constraints=False,  # the database checks them; one query each would be 9,000
            summary=row["post"].summary,
            **fields,
        )
        for row in rows
    ]
    detail = f"Headquarters announcement, for {date:%Y-%m-%d} {local_time:%H:%M} local time."
    return posts_create_many(posts=posts, user=user, history_detail=detail)


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
    announcement_id = uuid.uuid4()
    with transaction.atomic():
        return [
            series_create(
                franchise=row["franchise"],
                user=user,
                rule=rule,
                starts_on=date,
                local_time=local_time,
                announcement_id=announcement_id,
                materialise=len(rows) <= MATERIALISE_NOW_MAX,
                summary=row["post"].summary,
                **fields,
            )
            for row in rows
        ]
