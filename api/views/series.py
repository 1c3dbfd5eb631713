"""/api/v1/series: repeating posts, listed, read, created, changed and ended as the Repeating posts
pages do (posts/services/series.py); `more_texts` take turns with the text."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid

from ninja import Router
from ninja.responses import Status

from posts.content import TYPED
from posts.models import PostSeries
from posts.selectors import series_of_franchise
from posts.services import PostActionError
from posts.services.series import series_create, series_end, series_rule_build, series_update

from ..auth import READ, WRITE
from ..errors import ApiError, ErrorOut
from ..idempotency import idempotent
from ..schemas import SeriesCreate, SeriesEnded, SeriesOut, SeriesUpdate, SeriesUpdated
from ..selectors import franchise_get_for_key, series_get_for_key

router = Router(tags=["repeating posts"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _rule(repeat: dict) -> str:
    try:
        return series_rule_build(**repeat)
    except PostActionError as exc:
        raise ApiError(422, "invalid", str(exc), field="repeat") from None


def _fresh(series: PostSeries) -> PostSeries:
    return PostSeries.objects.select_related("franchise").get(pk=series.pk)


@router.get(
    "/franchises/{franchise_id}/series",
    auth=READ,
    response={200: list[SeriesOut], **ERRORS},
    operation_id="series_list",
)
def series_list(request, franchise_id: uuid.UUID):
    """The franchise's repeating posts, running ones first, newest first."""
    franchise = franchise_get_for_key(key=request.auth, franchise_id=franchise_id)
    return list(series_of_franchise(franchise=franchise))


@router.get("/series/{series_id}", auth=READ, response={200: SeriesOut, **ERRORS}, operation_id="series_read")
def series_read(request, series_id: uuid.UUID):
    return series_get_for_key(key=request.auth, series_id=series_id)


@router.post("/series", auth=WRITE, response={201: SeriesOut, **ERRORS}, operation_id="series_create")
@idempotent
def series_create_(request, payload: SeriesCreate):
    """A new repeating post; its first four weeks are scheduled at once. Refused (naming which)
    when Google or the brand rules would reject any of its texts."""
    fields = payload.model_dump(exclude_none=True)
    franchise = franchise_get_for_key(key=request.auth, franchise_id=fields.pop("franchise_id"))
    rule = _rule(fields.pop("repeat"))
    series = series_create(
        franchise=franchise,
        user=request.auth.user,
        rule=rule,
        starts_on=fields.pop("starts_on"),
        local_time=fields.pop("local_time"),
        more_texts=fields.pop("more_texts", ()),
        vary_with_claude=fields.pop("vary_with_claude", False),
        **fields,
    )
    return Status(201, _fresh(series))


@router.patch("/series/{series_id}", auth=WRITE, response={200: SeriesUpdated, **ERRORS}, operation_id="series_update")
def series_update_(request, series_id: uuid.UUID, payload: SeriesUpdate):
    """Change the repeating post (only the fields sent), then its upcoming posts nobody edited by
    hand; the counts say what happened to them."""
    series = series_get_for_key(key=request.auth, series_id=series_id)
    fields = payload.model_dump(exclude_unset=True)
    repeat = fields.pop("repeat", None)
    content = {name: getattr(series, name) for name in TYPED} | {k: v for k, v in fields.items() if k in TYPED}
    counts = series_update(
        series=series,
        user=request.auth.user,
        version=fields.get("version") or series.version,
        rule=_rule(repeat) if repeat else series.rule,
        starts_on=fields.get("starts_on") or series.starts_on,
        local_time=fields.get("local_time") or series.local_time,
        more_texts=fields.get("more_texts"),
        vary_with_claude=fields.get("vary_with_claude"),
        **content,
    )
    return {"series": _fresh(series), **counts}


@router.post("/series/{series_id}/end", auth=WRITE, response={200: SeriesEnded, **ERRORS}, operation_id="series_end")
@idempotent
def series_end_(request, series_id: uuid.UUID):
    """End it: no more posts; its upcoming ones are deleted (Google's copies too)."""
    series = series_get_for_key(key=request.auth, series_id=series_id)
    return series_end(series=series, user=request.auth.user)
