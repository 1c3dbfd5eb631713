"""The API's request and response bodies. A post's content fields come from posts/content.py and a
franchise's settings from franchises/services.PROFILE_FIELDS: nothing is listed twice."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from django.db import models
from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, StringConstraints, create_model

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
