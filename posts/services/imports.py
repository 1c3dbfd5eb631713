"""Many posts at once from a CSV file, one row a post: checked first (a dry run that says each
row's problems, nothing created), then created all or none in one transaction.

The columns: `franchise` (its name, or its id), `text`, `type` (update, event or offer; empty: an
update), `publish_at` (the franchise's local time, "2027-03-01 09:00"; empty: a draft), and any
other field of a post's content by its name in posts/content.py (a button's `cta_action_type` and
`cta_url`, a photo's `media_url`, an event's or offer's fields). Each value is read by the same form
field the editor reads it with, date-times in the franchise's zone. The text may use `{name}`,
`{city}` and headquarters' variables, filled in per franchise (franchises/variables.py). A
scheduled row is checked as any post to be scheduled is (posts/brand.py: Google's rules and the
brand's); a draft only for what the database would refuse.

However many rows, the check reads the user's franchises, the variables' values, the brand rules
and the photos' sizes once each, and the import adds two INSERTs (the posts and their history).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone

from franchises.models import Franchise
from franchises.selectors import franchises_administered_by
from franchises.variables import (
    franchise_values,
    placeholder_problems,
    text_filled,
    values_missing,
    variables_defined,
    variables_used,
)
from gbp_scheduler import clock
from gbp_scheduler.times import when_text

from .. import content
from ..brand import brand_rules_current, photo_sizes_of, post_check_messages
from ..content import TopicType
from ..models import Post
from .approvals import approval_gate, approval_waiting_fields
from .bulk import RELATIONS
from .editing import PostActionError, posts_create_many

IMPORT_MAX_ROWS = 5000
# The columns besides the content fields' own names: who, what and when.
FRANCHISE, TEXT, TYPE, PUBLISH_AT = "franchise", "text", "type", "publish_at"
REQUIRED = (FRANCHISE, TEXT)
# The content fields a row may set by their own names (the text and the type have the columns above).
FIELD_COLUMNS = [name for name in content.TYPED if name != "summary" and name != "topic_type"]
COLUMNS = (FRANCHISE, TYPE, TEXT, PUBLISH_AT, *FIELD_COLUMNS)
TYPE_WORDS = {
    **{value.lower(): value for value in content.TOPIC_TYPES_OFFERED},
    **{label.lower(): value for value, label in content.TOPIC_CHOICES},
}
# The first is how exports write a time (posts/exports.py), so an export reads back.
TIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
HISTORY = "Imported from a CSV file."


class ImportRefused(PostActionError):
    """The file has problems: nothing was created. `check` says which rows and why."""

    def __init__(self, check: ImportCheck):
        rows = [row for row in check.rows if row.problems]
        first = f" Row {rows[0].number}: {' '.join(rows[0].problems)}" if rows else ""
        super().__init__(f"Nothing was imported: {check.problem_count} problem(s) in the file.{first}")
        self.check = check


@dataclass
class ImportRow:
    number: int  # the row's line in the file (the header is line 1)
    values: dict
    franchise: Franchise | None = None
    post: Post | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ImportCheck:
    rows: list[ImportRow]
    problems: list[str] = field(default_factory=list)  # the file's own (its columns, its size)

    @property
    def problem_count(self) -> int:
        return len(self.problems) + sum(1 for row in self.rows if row.problems)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and self.problem_count == 0

    @property
    def scheduled(self) -> int:
        return sum(1 for row in self.rows if row.post is not None and row.post.status == Post.Status.SCHEDULED)


def _read(text: str) -> tuple[list[dict], list[str]]:
    """The rows of the CSV as {column: value}, and what is wrong with the file as a whole."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        return [], ["The file is empty: its first line must name the columns (franchise, text, ...)."]
    problems = []
    if missing := [name for name in REQUIRED if name not in header]:
        problems.append(f"The first line must name the columns; missing: {', '.join(missing)}.")
    if unknown := [name for name in header if name and name not in COLUMNS]:
        problems.append(f"Unknown columns: {', '.join(unknown)}. The columns are {', '.join(COLUMNS)}.")
    reader.fieldnames = header
    rows = []
    for values in reader:
        if len(rows) >= IMPORT_MAX_ROWS:
            problems.append(f"At most {IMPORT_MAX_ROWS:,} rows a file: split it.")
            break
        rows.append({name: (value or "").strip() for name, value in values.items() if name})
    if not rows and not problems:
        problems.append("The file has no rows below its first line.")
    return rows, problems


def _franchise_index(user: AbstractBaseUser) -> dict[str, list[Franchise]]:
    """The franchises the user may import into (headquarters: every active one; an admin: theirs),
    by lower-case name and by id."""
    index: dict[str, list[Franchise]] = {}
    for franchise in franchises_administered_by(user=user):
        index.setdefault(franchise.name.strip().lower(), []).append(franchise)
        index.setdefault(str(franchise.pk), []).append(franchise)
    return index


def _franchise(value: str, index: dict) -> tuple[Franchise | None, str | None]:
    found = index.get(value.strip().lower(), [])
    if not value:
        return None, "No franchise: name one in the franchise column."
    if not found:
        return None, f'No franchise "{value}" that you may post for.'
    if len(found) > 1:
        return None, f'Several franchises are called "{value}": use its id instead.'
    return found[0], None


def _field_value(name: str, raw: str, reader: forms.Field) -> object:
    """The value of a content field as the editor reads it ("" for an empty cell)."""
    if name == "cta_action_type" and raw:
        by_label = {label.lower(): value for value, label in content.ActionType.choices}
        raw = by_label.get(raw.lower(), raw.upper())
    value = reader.clean(raw)
    return content.stored(name, value)


def _row_post(row: ImportRow, *, user, readers: dict, values: dict, defined: dict, now: dt.datetime) -> None:
    """Fill row.post from row.values, or row.problems with what stops it."""
    franchise = row.franchise
    kind = TYPE_WORDS.get((row.values.get(TYPE) or "update").lower())
    if kind is None:
        row.problems.append(f'Type "{row.values[TYPE]}" is not one of update, event or offer.')
        kind = TopicType.STANDARD
    template = row.values.get(TEXT, "")
    if not template:
        row.problems.append("No text.")
    if unknown := placeholder_problems(template, defined=defined):
        row.problems.extend(unknown)
    else:
        row.problems.extend(values_missing(template, franchise=franchise, values=values.get(franchise.pk, {})))
    fields = {}
    with timezone.override(franchise.zone):
        for name in FIELD_COLUMNS:
            raw = row.values.get(name, "")
            if raw and not content.carries(kind, name):
                row.problems.append(
                    f"{name}: not part of an {TopicType(kind).label.lower()}; leave it empty or change the type."
                )
                continue
            try:
                fields[name] = _field_value(name, raw, readers[name])
            except ValidationError as exc:
                row.problems.append(f"{name}: {' '.join(exc.messages)}")
        at = None
        if raw_at := row.values.get(PUBLISH_AT, ""):
            try:
                at = readers[PUBLISH_AT].clean(raw_at)
            except ValidationError:
                row.problems.append(f'publish_at: "{raw_at}" is not a time; write it as 2027-03-01 09:00.')
    if at is not None and at <= now:
        row.problems.append(f"publish_at: {when_text(at, franchise)} has passed; pick a time in the future.")
    post = Post(
        franchise=franchise,
        created_by=user if getattr(user, "pk", None) else None,
        status=Post.Status.SCHEDULED if at is not None else Post.Status.DRAFT,
        source=Post.Source.MANUAL,
        scheduled_at=at,
        topic_type=kind,
        summary=content.line_breaks_normalized(
            text_filled(template, franchise=franchise, values=values.get(franchise.pk, {}))
        ),
        **fields,
    )
    if row.problems:
        return
    try:
        # What costs a query a row is the database's to hold (as posts_update_many leaves it).
        post.full_clean(exclude=RELATIONS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        row.problems.extend(exc.messages)
        return
    row.post = post


def posts_import_check(*, user: AbstractBaseUser, text: str) -> ImportCheck:
    """The dry run: each row read and checked as the import would, nothing created."""
    raw_rows, file_problems = _read(text)
    rows = [ImportRow(number=n, values=values) for n, values in enumerate(raw_rows, start=2)]
    check = ImportCheck(rows=rows, problems=file_problems)
    if file_problems:
        return check
    index = _franchise_index(user)
    for row in check.rows:
        row.franchise, problem = _franchise(row.values.get(FRANCHISE, ""), index)
        if problem:
            row.problems.append(problem)
    rows = [row for row in check.rows if row.franchise is not None]
    keys = dict.fromkeys(key for row in rows for key in variables_used(row.values.get(TEXT, "")))
    values = franchise_values({row.franchise for row in rows}, keys)
    readers = {name: content.FIELD[name].form() for name in FIELD_COLUMNS}
    readers[PUBLISH_AT] = forms.DateTimeField(input_formats=TIME_FORMATS)
    defined = variables_defined() if keys else {}
    now = timezone.now()
    for row in rows:
        _row_post(row, user=user, readers=readers, values=values, defined=defined, now=now)
    scheduled = [row for row in rows if row.post is not None and row.post.status == Post.Status.SCHEDULED]
    rules = brand_rules_current()
    sizes = photo_sizes_of(row.post.media_url for row in scheduled) if rules.photo_minimum else {}
    for row in scheduled:
        if problems := post_check_messages(row.post, rules=rules, photo_sizes=sizes):
            row.problems.extend(problems)
            row.post = None
    return check


def posts_import(*, user: AbstractBaseUser, text: str) -> list[Post]:
    """Create every row's post, or none: the rows are checked again (as the dry run did), and one
    problem anywhere refuses the lot (ImportRefused names the rows). The posts and their history
    are saved in one transaction."""
    check = posts_import_check(user=user, text=text)
    if not check.ok:
        raise ImportRefused(check)
    posts = [row.post for row in check.rows]
    # A scheduled row of a franchise whose policy wants an approver for this user waits for one
    # (posts/services/approvals.py), asked once per franchise.
    levels: dict = {}
    waiting = {}
    for post in posts:
        if post.status == Post.Status.SCHEDULED:
            if post.franchise_id not in levels:
                levels[post.franchise_id] = approval_gate(franchise=post.franchise, user=user)
            if levels[post.franchise_id]:
                waiting[post] = levels[post.franchise_id]
    now = clock.now() if waiting else None
    for post, level in waiting.items():
        for name, value in approval_waiting_fields(level=level, user=user, now=now).items():
            setattr(post, name, value)
    return posts_create_many(posts=posts, user=user, history_detail=HISTORY)
