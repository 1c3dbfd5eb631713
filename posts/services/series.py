"""Posts that repeat: a series and its occurrences, each an ordinary scheduled post.

A series holds the content and an RFC 5545 recurrence rule (weekly on chosen weekdays, monthly on
a day of the month or "the first Monday", until a day or for a number of times), expanded by
python-dateutil's `rrule` in the franchise's local time: the rule yields wall-clock times, and each
is placed in the franchise's zone only then, so 09:00 stays 09:00 across daylight-saving changes.
(A time that does not exist on the day the clocks go forward is read as the earlier offset would
have it, an hour later on the wall clock; one that happens twice is the first.)

Occurrences are made HORIZON_DAYS ahead by the materialise-series job and published by the
publish job like every other post: there is no second publish path. Every write to them goes
through the editing services (create, update, schedule, delete), so their history, locks and
Google's copy are handled the one way. One post per series and local day (a unique constraint):
two runs materialising the same day make one post.

A series has a post's content, of any type. An event's or offer's dates are typed for its first
post; each occurrence's are those moved by as many days as it goes out after the first, at the
same clock times in the franchise's zone (`occurrence_content`): a weekly Monday post announcing
that Friday's quiz night announces each week's Friday.

Editing a series changes its future occurrences that are not published and that nobody edited
by hand (`Post.series_edited`); ending it deletes its future unpublished occurrences (one being
published at that moment is cancelled by its row: never published after that attempt).

Repeats that vary: a series takes turns with its texts (`PostSeries.texts`: its main text, then
`more_texts`). Occurrence n of the rule (counted from its first day, 0-based) takes text n mod k,
and records which (`Post.series_text`). When the list changes, an occurrence not yet published
keeps the text it was made with wherever that text moved in the list (its new wording, should the
text be the one edited in place); one whose text was dropped takes its own turn in the new list
(`series_turn_kept`). With `vary_with_claude`, each occurrence is made as a draft and the generation
queue asks Claude for a variation of its text (generation/services/variations.py): it arrives as an
AI draft, reviewed like the weekly ones; nothing of it is published before a person approves it.

Materialising is fenced on the series as read: its occurrences are created in one transaction
that ends by moving `materialised_through` on only where the series' version is still the one
read and it has not ended; otherwise the transaction rolls back and nothing was made. An edit or
an end that commits first wins (the next run makes the new version's occurrences); one that
commits after sees the occurrences and changes or deletes them.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from dateutil import rrule
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from franchises.models import Franchise
from franchises.variables import (
    franchise_values,
    placeholder_problems,
    placeholders_in,
    text_filled,
    values_missing,
    variables_used,
)
from gbp_scheduler import clock
from gbp_scheduler.jobs import RUN_BREAKING, TimeBudget
from gbp_scheduler.times import LATEST_DAY, validate_sane_date

from .. import content as spec
from ..brand import post_check_messages
from ..content import SUMMARY_MAX_LENGTH, line_breaks_normalized, summary_length
from ..models import Post, PostEvent, PostSeries
from .approvals import approval_gate
from .editing import PostActionError, post_create, post_delete, post_schedule, post_update, posts_cancel_when_free
from .history import post_event_record

logger = logging.getLogger(__name__)

HORIZON_DAYS = 28  # occurrences exist as posts this far ahead
SERIES_FIELDS = spec.TYPED  # a repeating post has a post's content (posts/content.py)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
WEEKDAY_NAMES = dict(
    zip(WEEKDAYS, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], strict=True)
)
NTH_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
MAX_COUNT = 520  # ten years of a weekly post
MAX_TEXTS = 52  # a weekly post's year without a repeat
VARIED_ENOUGH = 10  # fewer distinct texts than this: the editor warns that the words repeat
UNFINISHED = (Post.Status.DRAFT, Post.Status.SCHEDULED, Post.Status.FAILED)


# --- the rule -------------------------------------------------------------------------------------


def series_rule_build(
    *,
    frequency: str,
    weekdays: list[str] | None = None,
    month_day: int | None = None,
    nth: int | None = None,
    nth_weekday: str | None = None,
    until: dt.date | None = None,
    count: int | None = None,
) -> str:
    """The RRULE (without DTSTART) for "weekly on `weekdays`", "monthly on day `month_day`" or
    "monthly on the `nth` `nth_weekday`", ending on `until` or after `count` times (or never)."""
    if until is not None and count is not None:
        raise PostActionError("End the series on a day or after a number of posts, not both.")
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise PostActionError(f"A series has between 1 and {MAX_COUNT} posts.")
    if until is not None:
        validate_sane_date(until)
    days = {code: getattr(rrule, code) for code in WEEKDAYS}
    options: dict = {"count": count}
    if until is not None:
        options["until"] = dt.datetime.combine(until, dt.time(23, 59, 59))
    if frequency == "weekly":
        if not weekdays or set(weekdays) - set(WEEKDAYS):
            raise PostActionError("Pick the days of the week it goes out on.")
        options.update(freq=rrule.WEEKLY, byweekday=[days[code] for code in WEEKDAYS if code in weekdays])
    elif frequency == "monthly" and month_day is not None:
        if not (1 <= month_day <= 31 or month_day == -1):
            raise PostActionError("Pick a day of the month between 1 and 31, or the last day.")
        options.update(freq=rrule.MONTHLY, bymonthday=month_day)
    elif frequency == "monthly" and nth in NTH_NAMES and nth_weekday in days:
        options.update(freq=rrule.MONTHLY, byweekday=days[nth_weekday](nth))
    else:
        raise PostActionError("Say how it repeats: weekly on some days, or monthly on a day or a weekday.")
    text = str(rrule.rrule(dtstart=dt.datetime(2000, 1, 1), **options))
    return next(line for line in text.splitlines() if line.startswith("RRULE:")).removeprefix("RRULE:")


def rule_parts(rule: str) -> dict[str, str]:
    """The RRULE's parts by name ({"FREQ": "WEEKLY", "BYDAY": "MO,TH", ...})."""
    return dict(part.split("=", 1) for part in rule.split(";") if "=" in part)


def series_rule_fields(rule: str) -> dict:
    """The form's fields of a rule made by series_rule_build (the inverse)."""
    parts = rule_parts(rule)
    fields: dict = {"frequency": parts.get("FREQ", "WEEKLY").lower(), "until": None, "count": None}
    if "UNTIL" in parts:
        fields["until"] = dt.datetime.strptime(parts["UNTIL"][:8], "%Y%m%d").date()
    if "COUNT" in parts:
        fields["count"] = int(parts["COUNT"])
    byday = parts.get("BYDAY", "")
    if fields["frequency"] == "weekly":
        fields["weekdays"] = byday.split(",")
    elif "BYMONTHDAY" in parts:
        fields.update(monthly_by="day", month_day=int(parts["BYMONTHDAY"]))
    else:
        fields.update(monthly_by="weekday", nth=int(byday[:-2]), nth_weekday=byday[-2:])
    return fields


@dataclass(frozen=True)
class SeriesWords:
    """A series' rule in words ("Every Monday and Thursday at 09:00"), and how it ends: on a day
    (`until`) or after `count` posts; the templates say these and the next post's time the one way
    (posts/_series_rule.html)."""

    rule: str
    until: dt.date | None
    count: int | None


def series_describe(series: PostSeries) -> SeriesWords:
    fields = series_rule_fields(series.rule)
    at = f"at {series.local_time:%H:%M}"
    if fields["frequency"] == "weekly":
        names = [WEEKDAY_NAMES[code] for code in fields["weekdays"]]
        days = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text = f"Every {days} {at}"
    elif fields.get("monthly_by") == "day":
        day = fields["month_day"]
        text = f"Every month on the last day {at}" if day == -1 else f"Every month on day {day} {at}"
    else:
        text = f"Every month on the {NTH_NAMES[fields['nth']]} {WEEKDAY_NAMES[fields['nth_weekday']]} {at}"
    return SeriesWords(rule=text, until=fields["until"], count=fields["count"])


def series_next(*, series: PostSeries, after: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The series' next `count` times after `after` (aware, in the franchise's zone)."""
    zone = series.franchise.zone
    expanded = rrule.rrulestr(series.rule, dtstart=dt.datetime.combine(series.starts_on, series.local_time))
    wall = timezone.localtime(after, zone).replace(tzinfo=None)
    found = []
    while len(found) < count and (wall := expanded.after(wall)) is not None and wall.date() <= LATEST_DAY:
        found.append(wall.replace(tzinfo=zone))
    return found


def series_first_day(series: PostSeries) -> dt.date | None:
    """The local day of the series' first post (the day its event's dates are typed for)."""
    expanded = rrule.rrulestr(series.rule, dtstart=dt.datetime.combine(series.starts_on, series.local_time))
    first = expanded.after(dt.datetime.combine(series.starts_on, dt.time.min), inc=True)
    return first.date() if first is not None else None


def occurrence_content(*, series: PostSeries, day: dt.date, text: int | None = None) -> dict:
    """The content of the series' post on local `day`: the series', with its text number `text`
    (by default the day's turn), its date-times (an event's or offer's) moved by as many days as
    `day` is after the series' first post, same clock times."""
    values = {name: getattr(series, name) for name in spec.NAMES}
    texts = series.texts
    summary = texts[series_turn(series=series, day=day) if text is None else text % len(texts)]
    values["summary"] = summary
    if placeholders_in(summary):  # {name}, {city} and headquarters' variables: its franchise's own
        keys = variables_used(summary)
        filled = franchise_values([series.franchise], keys)[series.franchise.pk]
        values["summary"] = summary_filled(summary, series.franchise, filled)
    first = series_first_day(series)
    shift = dt.timedelta(days=(day - first).days if first else 0)
    zone = series.franchise.zone
    for name in spec.DATETIMES:
        if values[name] is not None:
            wall = timezone.localtime(values[name], zone).replace(tzinfo=None) + shift
            values[name] = wall.replace(tzinfo=zone)
    return values


def series_ordinals(*, series: PostSeries, last_day: dt.date) -> dict[dt.date, int]:
    """{local day: its number in the rule, from 0 at the series' first post} up to `last_day`."""
    expanded = rrule.rrulestr(series.rule, dtstart=dt.datetime.combine(series.starts_on, series.local_time))
    last = dt.datetime.combine(min(last_day, LATEST_DAY), dt.time.max)
    return {wall.date(): n for n, wall in enumerate(expanded.between(dt.datetime.min, last, inc=True))}


def series_turn(*, series: PostSeries, day: dt.date, ordinals: dict[dt.date, int] | None = None) -> int:
    """The number of the text the series' post on `day` takes: its number in the rule mod k."""
    if len(series.texts) == 1:
        return 0
    ordinals = series_ordinals(series=series, last_day=day) if ordinals is None else ordinals
    return ordinals.get(day, 0) % len(series.texts)


def series_turn_kept(*, post: Post, old: PostSeries, new: PostSeries, ordinals: dict[dt.date, int]) -> int:
    """The text an occurrence takes after its series' list changed: the one it was made with,
    wherever that moved; reworded in a list of the same length, the one in its place (its new
    words); dropped, its own turn in the new list."""
    made_from = post.series_text or 0
    old_texts, new_texts = old.texts, new.texts
    if made_from < len(old_texts) and old_texts[made_from] in new_texts:
        return new_texts.index(old_texts[made_from])
    if len(old_texts) == len(new_texts):
        return made_from
    return series_turn(series=new, day=post.series_day, ordinals=ordinals)


def series_distinct_texts(series: PostSeries) -> int:
    """How many different texts its posts take turns with (the same words twice count once)."""
    return len({" ".join(text.split()).casefold() for text in series.texts if text.strip()})


def series_variety_warning(series: PostSeries) -> str:
    """The editor's warning when the series says the same words too often ("" when it does not)."""
    if series.vary_with_claude:
        return ""
    distinct = series_distinct_texts(series)
    if distinct >= VARIED_ENOUGH:
        return ""
    again = "in every post" if distinct <= 1 else f"every {distinct} posts"
    return (
        f"This repeating post has {distinct} different text{'s' if distinct != 1 else ''}, so it says the same words "
        f"again {again}. Google favours fresh posts: add texts until there are at least {VARIED_ENOUGH}, "
        "or ask Claude for a variation of each post."
    )


def series_occurrences(*, series: PostSeries, first_day: dt.date, last_day: dt.date) -> dict[dt.date, dt.datetime]:
    """{local day: aware time} of the series' occurrences on days first_day..last_day; COUNT is
    counted from the series' first day, as RFC 5545 says."""
    zone = series.franchise.zone
    last_day = min(last_day, LATEST_DAY)
    if last_day < first_day:
        return {}
    expanded = rrule.rrulestr(series.rule, dtstart=dt.datetime.combine(series.starts_on, series.local_time))
    wall_times = expanded.between(
        dt.datetime.combine(first_day, dt.time.min), dt.datetime.combine(last_day, dt.time.max), inc=True
    )
    return {wall.date(): wall.replace(tzinfo=zone) for wall in wall_times}


def summary_filled(summary: str, franchise: Franchise, values: dict) -> str:
    """A repeating post's text as its posts carry it: {name}, {city} and the variables filled in."""
    return text_filled(summary, franchise=franchise, values=values)


def _local_today(franchise: Franchise, now: dt.datetime) -> dt.date:
    return timezone.localtime(now, franchise.zone).date()


def series_texts_problems(*, franchise: Franchise, content: dict, more_texts: list[str]) -> list[str]:
    """Every text's problems (Google's, the brand's, its placeholders), each named by its number
    when the series has more than one ("Text 2: ...")."""
    if len(more_texts) + 1 > MAX_TEXTS:
        return [f"A repeating post takes turns with at most {MAX_TEXTS} texts."]
    problems = _content_problems(franchise, content)
    if not more_texts:
        return problems
    problems = [f"Text 1: {problem}" for problem in problems]
    for number, text in enumerate(more_texts, 2):
        text_problems = _content_problems(franchise, {**content, "summary": text})
        problems += [f"Text {number}: {problem}" for problem in text_problems]
    return problems


TEXTS_SEPARATOR = "---"  # the editor's line between two texts


def texts_split(typed: str) -> list[str]:
    """The texts typed in one box, a line holding only --- between two (empty ones dropped)."""
    texts, lines = [], []
    for line in [*line_breaks_normalized(typed).split("\n"), TEXTS_SEPARATOR]:
        if line.strip() == TEXTS_SEPARATOR:
            texts.append("\n".join(lines))
            lines = []
        else:
            lines.append(line)
    return texts_cleaned(texts)


def texts_joined(texts: list[str]) -> str:
    return f"\n{TEXTS_SEPARATOR}\n".join(texts)


def series_preview_posts(*, series: PostSeries, after: dt.datetime, count: int) -> list[Post]:
    """The series' next `count` posts as they will be made (unsaved), each with its text's number."""
    times = series_next(series=series, after=after, count=count)
    if not times:
        return []
    zone = series.franchise.zone
    ordinals = series_ordinals(series=series, last_day=times[-1].astimezone(zone).date())
    posts = []
    for at in times:
        day = at.astimezone(zone).date()
        text = series_turn(series=series, day=day, ordinals=ordinals)
        content = occurrence_content(series=series, day=day, text=text)
        posts.append(Post(franchise=series.franchise, scheduled_at=at, series_text=text, **content))
    return posts


def texts_cleaned(texts) -> list[str]:
    """The other texts as stored: one kind of line break, empty ones dropped."""
    return [line_breaks_normalized(text).strip() for text in texts or () if text and text.strip()]


def _content_problems(franchise: Franchise, content: dict) -> list[str]:
    summary = content.get("summary") or ""
    if unknown := placeholder_problems(summary):
        return unknown
    values = franchise_values([franchise], variables_used(summary))[franchise.pk]
    problems = post_check_messages(
        Post(franchise=franchise, **{**content, "summary": summary_filled(summary, franchise, values)})
    )
    problems += values_missing(summary, franchise=franchise, values=values)
    if summary_length(content.get("summary") or "") > SUMMARY_MAX_LENGTH:
        problems = problems or [f"Google allows {SUMMARY_MAX_LENGTH:,} characters."]
    return problems


def _content(fields: dict) -> dict:
    """The series' content from `fields` (SERIES_FIELDS; an empty type is an update), each kept as
    its column keeps "nothing"; what the post type does not carry is left empty."""
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValueError(f"Not a series field: {', '.join(sorted(unknown))}")
    topic = fields.get("topic_type") or Post.TopicType.STANDARD
    content = {
        name: spec.stored(name, fields.get(name) if spec.carries(topic, name) else None) for name in SERIES_FIELDS
    }
    content["topic_type"] = topic
    content["summary"] = line_breaks_normalized(content["summary"])
    return content


# --- create ---------------------------------------------------------------------------------------


def series_create(
    *,
    franchise: Franchise,
    user: AbstractBaseUser | None,
    rule: str,
    starts_on: dt.date,
    local_time: dt.time,
    announcement_id: uuid.UUID | None = None,
    materialise: bool = True,
    more_texts: list[str] | tuple = (),
    vary_with_claude: bool = False,
    **fields,
) -> PostSeries:
    """A new series, its first weeks of occurrences scheduled at once (unless `materialise` is
    False: an announcement leaves them to the job). Refused when Google would reject any of its
    texts (naming which) or the rule never yields a day."""
    content = _content(fields)
    more_texts = texts_cleaned(more_texts)
    problems = series_texts_problems(franchise=franchise, content=content, more_texts=more_texts)
    if problems:
        raise PostActionError(" ".join(problems))
    validate_sane_date(starts_on)
    series = PostSeries(
        franchise=franchise,
        rule=rule,
        starts_on=starts_on,
        local_time=local_time,
        created_by=user,
        announcement_id=announcement_id,
        more_texts=more_texts,
        vary_with_claude=vary_with_claude,
        **content,
    )
    if not series_occurrences(series=series, first_day=starts_on, last_day=LATEST_DAY):
        raise PostActionError("This rule never gives a day to post on; check its end.")
    series.save()
    if materialise:
        series_materialise(series=series)
    return series


# --- materialise ----------------------------------------------------------------------------------


def series_materialise(*, series: PostSeries, now: dt.datetime | None = None) -> int:
    """Make the series' occurrences up to HORIZON_DAYS ahead that were not made yet (days after
    `materialised_through`, none in the past); how many this call created.

    1. read the series (an ended one makes nothing);
    2. in one transaction, create each day's post, scheduled (a day another run made already is
       skipped: the unique constraint says so);
    3. and move `materialised_through` on, fenced on the series as read (its version, its
       `materialised_through`, not ended): when that matches nothing, the series was edited or
       ended meanwhile, and the transaction rolls back (the module docstring)."""
    now = now or clock.now()
    series = PostSeries.objects.select_related("franchise").get(pk=series.pk)
    if series.ended_at is not None:
        return 0
    today = _local_today(series.franchise, now)
    through = today + dt.timedelta(days=HORIZON_DAYS)
    first = max(series.starts_on, (series.materialised_through or dt.date.min) + dt.timedelta(days=1), today)
    created = 0
    ordinals = series_ordinals(series=series, last_day=through)
    try:
        with transaction.atomic():
            for day, at in series_occurrences(series=series, first_day=first, last_day=through).items():
                if at > now:
                    created += _occurrence_create(series=series, day=day, at=at, ordinals=ordinals)
            fenced = PostSeries.objects.filter(
                pk=series.pk,
                version=series.version,
                materialised_through=series.materialised_through,
                ended_at=None,
            ).update(materialised_through=through)
            if fenced != 1:
                raise _SeriesChanged
    except _SeriesChanged:
        logger.info("Series %s changed while its occurrences were made; nothing made this time", series.pk)
        return 0
    return created


class _SeriesChanged(Exception):
    """The series was edited or ended while its occurrences were being made: roll them back."""


def _occurrence_create(
    *, series: PostSeries, day: dt.date, at: dt.datetime, ordinals: dict[dt.date, int] | None = None
) -> int:
    local = timezone.localtime(at, series.franchise.zone)
    text = series_turn(series=series, day=day, ordinals=ordinals)
    made = {"franchise": series.franchise, "user": None, "scheduled_at": at, "series": series, "series_day": day}
    made["series_text"] = text
    # Its maker's approval policy holds for each day's post: one a staff member set up waits for
    # an approver day by day (posts/services/approvals.py).
    level = approval_gate(franchise=series.franchise, user=series.created_by)
    detail = f"From a repeating post, for {local:%Y-%m-%d %H:%M}."
    if len(series.texts) > 1:
        detail += f" Text {text + 1} of {len(series.texts)}."
    content = occurrence_content(series=series, day=day, text=text)
    try:
        if series.vary_with_claude:
            # Claude's variation arrives later as an AI draft, for review: never scheduled before.
            detail += " Waiting for Claude's variation of its text, then for review."
            post_create(status=Post.Status.DRAFT, history_detail=detail, **made, **content)
            return 1
        try:
            post_create(status=Post.Status.SCHEDULED, history_detail=detail, approval_level=level, **made, **content)
        except PostActionError as exc:
            # Its content breaks a rule set since the series was saved (the brand's): the day's
            # post waits as a draft saying why, for a person to fix, and the series goes on.
            post_create(status=Post.Status.DRAFT, history_detail=f"{detail} Not scheduled: {exc}", **made, **content)
    except IntegrityError:
        return 0  # another run made this day's post
    return 1


def series_due(*, now: dt.datetime):
    """Active series of active franchises whose occurrences may not reach the horizon yet."""
    soon = (now + dt.timedelta(days=HORIZON_DAYS - 1)).date()
    return (
        PostSeries.objects.filter(ended_at__isnull=True, franchise__is_active=True)
        .filter(Q(materialised_through__isnull=True) | Q(materialised_through__lt=soon))
        .order_by(F("materialised_through").asc(nulls_first=True), "pk")
    )


def series_materialise_due(*, budget: TimeBudget) -> dict:
    """The materialise-series job: every due series' occurrences up to the horizon, the series
    furthest behind first; one failing series is logged and counted, the run goes on."""
    counts: Counter = Counter({"series_checked": 0, "occurrences_created": 0, "failed": 0, "left_for_next_run": 0})
    now = clock.now()
    tried: set = set()
    while not budget.exhausted:
        batch = list(series_due(now=now).exclude(pk__in=tried).select_related("franchise")[:100])
        if not batch:
            break
        for series in batch:
            if budget.exhausted:
                break
            tried.add(series.pk)
            try:
                counts["occurrences_created"] += series_materialise(series=series, now=now)
            except RUN_BREAKING:
                raise
            except Exception:
                logger.exception("materialise-series: series %s failed", series.pk)
                counts["failed"] += 1
            else:
                counts["series_checked"] += 1
    counts["left_for_next_run"] = series_due(now=now).exclude(pk__in=tried).count()
    return dict(counts)


# --- edit and end ---------------------------------------------------------------------------------


def _future_unfinished(series: PostSeries, now: dt.datetime, *, due_too: bool = False):
    """The series' occurrences not yet on Google and still ahead (`due_too`: and the scheduled
    ones whose time has come, which may be being published or retried right now)."""
    ahead = Q(scheduled_at__gt=now)
    if due_too:
        ahead |= Q(status=Post.Status.SCHEDULED)
    return (
        Post.objects.select_related("franchise")
        .filter(ahead, series=series, status__in=UNFINISHED)
        .order_by("scheduled_at")
    )


def series_update(
    *,
    series: PostSeries,
    user: AbstractBaseUser | None,
    version: int,
    rule: str,
    starts_on: dt.date,
    local_time: dt.time,
    more_texts: list[str] | tuple | None = None,
    vary_with_claude: bool | None = None,
    **fields,
) -> dict:
    """Change the series, then its future unpublished occurrences nobody edited by hand; the
    counts ("updated", "added", "removed", "kept_edited", "busy").

    1. save the series over the version the person read (else PostChangedError's words);
    2. each future occurrence not edited by hand: on a day the new rule keeps, its content and
       time changed through post_update and post_schedule (with the text it was made with:
       series_turn_kept); on a day it drops, deleted through
       post_delete; one being published right now is left as it is ("busy");
    3. days the new rule adds up to the horizon made as new occurrences. A day the old rule had
       whose post is gone was deleted by a person, and stays gone.
    `more_texts` and `vary_with_claude` left out (None) stay as the series has them."""
    content = _content(fields)
    more_texts = texts_cleaned(series.more_texts if more_texts is None else more_texts)
    vary_with_claude = series.vary_with_claude if vary_with_claude is None else vary_with_claude
    problems = series_texts_problems(franchise=series.franchise, content=content, more_texts=more_texts)
    if problems:
        raise PostActionError(" ".join(problems))
    validate_sane_date(starts_on)
    old = PostSeries.objects.select_related("franchise").get(pk=series.pk)
    if old.ended_at is not None:
        raise PostActionError("This series has ended; start a new one.")
    changed = PostSeries.objects.filter(pk=series.pk, version=version, ended_at=None).update(
        rule=rule,
        starts_on=starts_on,
        local_time=local_time,
        version=F("version") + 1,
        updated_at=timezone.now(),
        more_texts=more_texts,
        vary_with_claude=vary_with_claude,
        **content,
    )
    if changed != 1:
        raise PostActionError(
            "Someone else changed this series while you were working on it, so your changes were not saved. "
            "Reload it and apply them again."
        )
    new = PostSeries.objects.select_related("franchise").get(pk=series.pk)
    now = clock.now()
    today = _local_today(new.franchise, now)
    through = max(new.materialised_through or today, today)
    new_days = series_occurrences(series=new, first_day=today, last_day=through)
    old_days = series_occurrences(series=old, first_day=today, last_day=through)
    ordinals = series_ordinals(series=new, last_day=through)
    counts = Counter({"updated": 0, "added": 0, "removed": 0, "kept_edited": 0, "busy": 0})
    existing = set()
    for post in _future_unfinished(new, now):
        existing.add(post.series_day)
        if post.series_edited:
            counts["kept_edited"] += 1
            continue
        try:
            if post.series_day in new_days:
                text = series_turn_kept(post=post, old=old, new=new, ordinals=ordinals)
                _occurrence_bring_up_to_date(post=post, series=new, at=new_days[post.series_day], user=user, text=text)
                counts["updated"] += 1
            else:
                post_delete(post=post, user=user)
                counts["removed"] += 1
        except PostActionError:
            counts["busy"] += 1
    existing |= set(Post.objects.filter(series=new).values_list("series_day", flat=True))
    for day, at in new_days.items():
        if at > now and day not in existing and day not in old_days:
            counts["added"] += _occurrence_create(series=new, day=day, at=at, ordinals=ordinals)
    return dict(counts)


def _occurrence_bring_up_to_date(*, post: Post, series: PostSeries, at: dt.datetime, user, text: int) -> None:
    content = occurrence_content(series=series, day=post.series_day, text=text)
    if (
        any(getattr(post, name) != value for name, value in content.items())
        or post.series_version != series.version
        or post.series_text != text
    ):
        post = post_update(post=post, user=user, series_version=series.version, series_text=text, **content)
    # A new time already past (today's post moved earlier) keeps its old time, rather than going
    # out at once.
    if post.status == Post.Status.SCHEDULED and post.scheduled_at != at and at > timezone.now():
        post_schedule(post=post, at=at, user=user, series_version=series.version)


def series_end(*, series: PostSeries, user: AbstractBaseUser | None) -> dict:
    """End the series: no more occurrences, and its future unpublished ones (and the scheduled ones
    whose time came, which may be being retried) deleted through post_delete (Google's copy too,
    should one exist); one being published at that moment is cancelled by its row
    (posts_cancel_when_free). The counts ("deleted", "busy")."""
    now = clock.now()
    if PostSeries.objects.filter(pk=series.pk, ended_at=None).update(ended_at=now) != 1:
        raise PostActionError("This series has ended already.")
    counts = {"deleted": 0, "busy": 0}
    busy = []
    for post in _future_unfinished(series, now, due_too=True):
        try:
            post_delete(post=post, user=user)
        except PostActionError:
            busy.append(post.pk)
        else:
            counts["deleted"] += 1
    counts["busy"] = len(busy)
    posts_cancel_when_free(ids=busy)
    return counts


# --- Claude's variations -----------------------------------------------------------------------------


def series_variations_wanted(*, now: dt.datetime):
    """Occurrences waiting for Claude's variation of their text: drafts of series that ask for one,
    not yet varied (still the series' words, nobody edited them) and still ahead."""
    return Post.objects.filter(
        status=Post.Status.DRAFT,
        source=Post.Source.MANUAL,
        series_edited=False,
        series__vary_with_claude=True,
        series__ended_at__isnull=True,
        franchise__is_active=True,
        scheduled_at__gt=now,
    )


def series_variation_take(*, post_id: uuid.UUID, summary: str, detail: str) -> Post | None:
    """Claude's variation becomes the occurrence's text: an AI draft, for review like the weekly
    ones. Only while the occurrence still waits for it (a person who edited, scheduled or deleted
    it meanwhile has the last word: None). From then on the series' edits leave its words alone."""
    waiting = series_variations_wanted(now=clock.now()).filter(pk=post_id).values_list("pk", flat=True)
    taken = Post.objects.filter(pk__in=list(waiting), status=Post.Status.DRAFT, series_edited=False).update(
        summary=line_breaks_normalized(summary),
        source=Post.Source.AI,
        series_edited=True,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not taken:
        return None
    post = Post.objects.select_related("franchise").get(pk=post_id)
    post_event_record(post=post, action=PostEvent.Action.EDITED, detail=detail)
    return post
