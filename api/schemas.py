"""The API's request and response bodies. A post's content fields come from posts/content.py and a
franchise's settings from franchises/services.PROFILE_FIELDS: nothing is listed twice."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from django.db import models
from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, NaiveDatetime, StringConstraints, create_model

from franchises.models import Franchise
from franchises.services import PROFILE_FIELDS
from posts import content
from posts.models import Post


def _python_type(column: models.Field, *, incoming: bool):
    """The JSON type of a model field, for the schemas."""
    if column.choices:
        return Literal[tuple(value for value, _ in column.choices)]
    if isinstance(column, models.DateTimeField):
        return (AwareDatetime if incoming else dt.datetime) | None
    if isinstance(column, models.BooleanField):
        return bool
    if isinstance(column, models.IntegerField):
        return int
    return str


def _limited(field: content.ContentField, kind):
    """A text field as a client may send it: line breaks as Google keeps them, then no longer than
    its column (the text: Google's limit, counted as posts/content.py counts it)."""
    if kind is not str:
        return kind
    longest = content.SUMMARY_MAX_LENGTH if field.name == "summary" else field.column.max_length
    return Annotated[str, BeforeValidator(_line_breaks), StringConstraints(max_length=longest)]


def _line_breaks(value):
    return content.line_breaks_normalized(value) if isinstance(value, str) else value


def _content(*, incoming: bool, required: tuple[str, ...] = ()) -> dict:
    fields = {}
    for field in content.FIELDS:
        kind = _python_type(field.column, incoming=incoming)
        if incoming:
            kind = _limited(field, kind)
        if not incoming or field.name in required:
            fields[field.name] = (kind, ...)
        else:
            fields[field.name] = (kind | None, Field(None, description=str(field.column.verbose_name or field.name)))
    return fields


# --- franchises -------------------------------------------------------------------------------


class FranchiseOut(Schema):
    id: uuid.UUID
    name: str
    is_active: bool
    timezone: str
    google_connected: bool = Field(..., description="Connected to a location on Google.")
    google_auth_valid: bool
    description: str
    services: str
    city: str
    website: str
    tone: str
    posts_per_week: int

    @staticmethod
    def resolve_google_connected(franchise: Franchise) -> bool:
        return bool(franchise.google_location_id)


_profile = {
    name: (_python_type(Franchise._meta.get_field(name), incoming=True) | None, None) for name in PROFILE_FIELDS
}
FranchiseCreate = create_model("FranchiseCreate", __base__=Schema, name=(str, Field(..., max_length=200)), **_profile)
FranchiseUpdate = create_model(
    "FranchiseUpdate",
    __base__=Schema,
    name=(str | None, Field(None, max_length=200)),
    is_active=(bool | None, None),
    **_profile,
)


# --- posts --------------------------------------------------------------------------------------

PostOut = create_model(
    "PostOut",
    __base__=Schema,
    id=(uuid.UUID, ...),
    franchise_id=(uuid.UUID, ...),
    status=(Literal[tuple(Post.Status.values)], ...),
    source=(Literal[tuple(Post.Source.values)], ...),
    scheduled_at=(dt.datetime | None, ...),
    published_at=(dt.datetime | None, ...),
    google_state=(str, ...),
    google_search_url=(str, ...),
    last_error=(str, ...),
    version=(int, Field(..., description="Send it back with an update: a save over a newer version is refused (409).")),
    created_at=(dt.datetime, ...),
    updated_at=(dt.datetime, ...),
    **_content(incoming=False),
)

PostCreate = create_model(
    "PostCreate",
    __base__=Schema,
    franchise_id=(uuid.UUID, ...),
    scheduled_at=(
        AwareDatetime | None,
        Field(None, description="When given, the post is scheduled for then (it must pass every rule); else a draft."),
    ),
    **_content(incoming=True, required=("summary",)),
)

PostUpdate = create_model(
    "PostUpdate",
    __base__=Schema,
    version=(int | None, Field(None, description="The version you read; omitted: the current one.")),
    **_content(incoming=True),
)

PostPreview = create_model(
    "PostPreview", __base__=Schema, franchise_id=(uuid.UUID, ...), **_content(incoming=True, required=("summary",))
)


class ProblemOut(Schema):
    rule: str
    rule_name: str
    field: str
    message: str


class PreviewOut(Schema):
    schedulable: bool = Field(..., description="True when no rule keeps it off the schedule.")
    problems: list[ProblemOut]
    google_body: dict = Field(..., description="The LocalPost Google would be sent.")


class ScheduleIn(Schema):
    at: AwareDatetime


class PostPage(Schema):
    items: list[PostOut]  # type: ignore[valid-type]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class PublishOut(Schema):
    outcome: str
    message: str
    post: PostOut  # type: ignore[valid-type]


# --- results ------------------------------------------------------------------------------------


class TotalOut(Schema):
    key: str
    label: str
    current: int | None
    previous: int | None
    change: float | None


class FranchiseResultsOut(Schema):
    has_figures: bool
    newest: dt.date | None
    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    totals: list[TotalOut]
    posts_published: int
    chart: dict


class RankingRowOut(Schema):
    franchise_id: uuid.UUID
    name: str
    current: int | None
    previous: int | None
    change: float | None
    posts: int
    per_week: float
    weekly: bool


class GroupOut(Schema):
    locations: int
    change: float | None


class RankingOut(Schema):
    current: tuple[dt.date, dt.date]
    previous: tuple[dt.date, dt.date]
    weekly: GroupOut
    less: GroupOut
    rows: list[RankingRowOut]


class RankingPageOut(RankingOut):
    total: int = Field(..., description="How many franchises the ranking has; `rows` is the page asked for.")


# --- announcements (headquarters) ---------------------------------------------------------------

_LOCK = Literal[tuple(content.LOCKS)]
# An announcement's event and offer times are wall-clock times each franchise reads in its own zone.
_WALL = {
    name: (NaiveDatetime | None, Field(None, description="Wall-clock, in each franchise's zone."))
    for name in content.DATETIMES
}


class AnnouncementOut(Schema):
    id: uuid.UUID
    summary: str = Field(..., description="The text as sent, its {placeholders} unfilled.")
    date: dt.date
    local_time: dt.time
    rule: str = Field(..., description="Empty: sent once; else each franchise has a repeating post.")
    locked: list[str]
    franchise_count: int
    created_at: dt.datetime


class AnnouncementDetailOut(AnnouncementOut):
    posts_total: int
    posts_waiting: int = Field(..., description="Not yet published: what edit all and cancel all change.")


AnnouncementSend = create_model(
    "AnnouncementSend",
    __base__=Schema,
    franchise_ids=(
        list[uuid.UUID] | None,
        Field(None, max_length=10_000, description="The franchises it goes to; omitted: every one the key reaches."),
    ),
    date=(dt.date, ...),
    local_time=(dt.time, Field(..., description="The same wall-clock time in each franchise's zone.")),
    locked=(list[_LOCK], Field([], description="The parts no franchise may change on its post.")),
    **{**_content(incoming=True, required=("summary",)), **_WALL},
)

AnnouncementEdit = create_model(
    "AnnouncementEdit",
    __base__=Schema,
    date=(dt.date | None, Field(None, description="Omitted: as it is.")),
    local_time=(dt.time | None, Field(None, description="Omitted: as it is.")),
    locked=(list[_LOCK] | None, Field(None, description="Omitted: as it is.")),
    overwrite=(
        bool,
        Field(False, description="Replace what a franchise changed on its post since (else kept: `kept_local`)."),
    ),
    **{**_content(incoming=True, required=("summary",)), **_WALL},
)


class EditAllOut(Schema):
    """Franchise names per outcome, as the page reports them."""

    edited: list[str]
    kept_local: list[str] = Field(..., description="Edited, keeping their own changes to the parts not locked.")
    overwritten: list[str] = Field(..., description="Edited, their own changes replaced.")
    busy: list[str] = Field(..., description="Being published or changed at that moment: not changed.")
    kept_time: list[str] = Field(..., description="Edited, but kept the time they were moved to by hand.")


class CancelAllOut(Schema):
    deleted: int
    busy: int
    series_ended: int


# --- approvals and AI drafts ----------------------------------------------------------------------


class ApprovalOut(Schema):
    post: PostOut  # type: ignore[valid-type]
    waiting_for: str = Field(..., description="Who must approve: a franchise admin, or headquarters.")
    requested_at: dt.datetime | None


class ApprovalPage(Schema):
    items: list[ApprovalOut]
    next_offset: int | None


class DraftPage(Schema):
    items: list[PostOut]  # type: ignore[valid-type]
    next_offset: int | None


class DecideIn(Schema):
    post_ids: list[uuid.UUID] = Field(..., min_length=1, max_length=500)


class ApprovalRejectIn(DecideIn):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        ..., description="Why: the author reads it."
    )


class DraftRejectIn(DecideIn):
    reason: str = Field("", max_length=1000, description="Optional: the franchise's next drafts are told.")


class RefusedOut(Schema):
    post_id: str
    message: str


class DecidedOut(Schema):
    done: int
    refused: list[RefusedOut]


# --- repeating posts ------------------------------------------------------------------------------


class RepeatIn(Schema):
    """How it repeats: weekly on `weekdays`, monthly on `month_day` (-1: the last), or monthly on
    the `nth` `nth_weekday`; ending on `until`, after `count` posts, or never."""

    frequency: Literal["weekly", "monthly"]
    weekdays: list[Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]] | None = None
    month_day: int | None = Field(None, ge=-1, le=31)
    nth: int | None = Field(None, ge=-1, le=4)
    nth_weekday: Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"] | None = None
    until: dt.date | None = None
    count: int | None = Field(None, ge=1)


SeriesOut = create_model(
    "SeriesOut",
    __base__=Schema,
    id=(uuid.UUID, ...),
    franchise_id=(uuid.UUID, ...),
    rule=(str, Field(..., description="The RFC 5545 RRULE it repeats on.")),
    starts_on=(dt.date, ...),
    local_time=(dt.time, ...),
    version=(int, Field(..., description="Send it back with an update.")),
    ended_at=(dt.datetime | None, ...),
    more_texts=(list[str], Field(..., description="The texts after `summary`, taking turns with it.")),
    vary_with_claude=(bool, ...),
    created_at=(dt.datetime, ...),
    **_content(incoming=False),
)

_SERIES_MORE = {
    "more_texts": (
        list[Annotated[str, StringConstraints(max_length=content.SUMMARY_MAX_LENGTH)]] | None,
        Field(None, max_length=52),
    ),
    "vary_with_claude": (bool | None, None),
}

SeriesCreate = create_model(
    "SeriesCreate",
    __base__=Schema,
    franchise_id=(uuid.UUID, ...),
    repeat=(RepeatIn, ...),
    starts_on=(dt.date, ...),
    local_time=(dt.time, Field(..., description="In the franchise's zone.")),
    **_SERIES_MORE,
    **_content(incoming=True, required=("summary",)),
)

SeriesUpdate = create_model(
    "SeriesUpdate",
    __base__=Schema,
    version=(int | None, Field(None, description="The version you read; omitted: the current one.")),
    repeat=(RepeatIn | None, Field(None, description="Omitted: as it is.")),
    starts_on=(dt.date | None, None),
    local_time=(dt.time | None, None),
    **_SERIES_MORE,
    **_content(incoming=True),
)


class SeriesUpdated(Schema):
    series: SeriesOut  # type: ignore[valid-type]
    updated: int
    added: int
    removed: int
    kept_edited: int = Field(..., description="Posts edited by hand: left as they are.")
    busy: int


class SeriesEnded(Schema):
    deleted: int
    busy: int


# --- reviews ----------------------------------------------------------------------------------------


class ReviewOut(Schema):
    id: uuid.UUID
    franchise_id: uuid.UUID
    reviewer_name: str
    stars: int
    comment: str
    created_at: dt.datetime
    google_reply: str | None = Field(..., description="The reply as Google has it (null: none).")
    google_reply_state: str
    reply_text: str
    reply_wanted: bool
    reply_pending: bool = Field(..., description="The reply wanted has not reached Google yet.")
    reply_error: str
    draft_text: str


class ReviewPage(Schema):
    items: list[ReviewOut]
    next_offset: int | None


class ReplyIn(Schema):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4096)]
