"""/api/v1/announcements: headquarters' one post to many franchises, sent, edited and cancelled as
one (posts/services/announcements.py, as the Announcements pages do). Headquarters' keys for every
franchise only: an announcement reaches many."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import uuid

from django.http import Http404
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from posts.content import carries, stored
from posts.models import Post
from posts.selectors import announcement_counts, announcements_sent
from posts.services import announcement_cancel_all, announcement_edit_all, announcement_schedule
from posts.services.announcements import SHARED_FIELDS

from ..auth import READ, WRITE
from ..errors import ErrorOut
from ..idempotency import idempotent
from ..schemas import (
    AnnouncementDetailOut,
    AnnouncementEdit,
    AnnouncementOut,
    AnnouncementSend,
    CancelAllOut,
    EditAllOut,
)
from ..selectors import announcement_get_for_key, franchises_for_key, headquarters_key_check

router = Router(tags=["announcements"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class Paging(Schema):
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


def _content(fields: dict) -> dict:
    """The content as the services take it (as the pages' form gives it): the text as typed
    (`template`), what the post type does not carry empty, the rest as the columns keep it."""
    topic = fields.get("topic_type") or Post.TopicType.STANDARD
    shared = {name: stored(name, fields.get(name) if carries(topic, name) else None) for name in SHARED_FIELDS}
    return {**shared, "template": fields["summary"], "topic_type": topic}


def _detail(announcement):
    counts = announcement_counts(announcement=announcement)
    return {
        **AnnouncementOut.model_validate(announcement).model_dump(),
        "posts_total": counts["total"],
        "posts_waiting": counts["waiting"],
    }


@router.get(
    "/announcements", auth=READ, response={200: list[AnnouncementOut], **ERRORS}, operation_id="announcements_list"
)
def announcements_list(request, paging: Query[Paging]):
    """Headquarters' announcements, newest first."""
    headquarters_key_check(key=request.auth, what="see the announcements")
    return list(announcements_sent()[paging.offset : paging.offset + paging.limit])


@router.get(
    "/announcements/{announcement_id}",
    auth=READ,
    response={200: AnnouncementDetailOut, **ERRORS},
    operation_id="announcements_read",
)
def announcements_read(request, announcement_id: uuid.UUID):
    """The announcement, with how many posts it has and how many are not yet published."""
    return _detail(announcement_get_for_key(key=request.auth, announcement_id=announcement_id))


def _sender(request) -> None:
    headquarters_key_check(key=request.auth, what="send announcements")


@router.post(
    "/announcements", auth=WRITE, response={201: AnnouncementDetailOut, **ERRORS}, operation_id="announcements_send"
)
@idempotent(recheck=_sender)
def announcements_send(request, payload: AnnouncementSend):
    """Schedule one post per franchise, each at `local_time` in its own zone: all or none (the
    error names each franchise whose post Google or the brand rules would refuse). {name}, {city}
    and headquarters' variables are filled in per franchise."""
    key = request.auth
    _sender(request)
    fields = payload.model_dump(exclude_none=True)
    franchises = franchises_for_key(key=key).filter(is_active=True)
    if ids := fields.pop("franchise_ids", None):
        franchises = franchises.filter(pk__in=ids)
        if franchises.count() != len(set(ids)):
            raise Http404("No such franchise.")
    franchises = list(franchises.order_by("name"))
    if not franchises:
        raise Http404("No franchise to send it to.")
    when = {"date": fields.pop("date"), "local_time": fields.pop("local_time")}
    locked = fields.pop("locked", [])
    posts = announcement_schedule(franchises=franchises, user=key.user, locked=locked, **when, **_content(fields))
    return Status(201, _detail(posts[0].announcement))


@router.post(
    "/announcements/{announcement_id}/edit-all",
    auth=WRITE,
    response={200: EditAllOut, **ERRORS},
    operation_id="announcements_edit_all",
)
@idempotent
def announcements_edit_all(request, announcement_id: uuid.UUID, payload: AnnouncementEdit):
    """Change every post of the announcement not yet published, as "Edit all" does: a part a
    franchise changed on its post since is kept (`kept_local`) unless `overwrite` or locked."""
    announcement = announcement_get_for_key(key=request.auth, announcement_id=announcement_id)
    fields = payload.model_dump(exclude_none=True)
    when = {name: fields.pop(name, None) for name in ("date", "local_time")}
    return announcement_edit_all(
        announcement=announcement,
        user=request.auth.user,
        locked=fields.pop("locked", None),
        overwrite=fields.pop("overwrite"),
        template=fields.pop("summary"),
        **when,
        **fields,  # only those sent: the others stay as the announcement has them
    )


@router.post(
    "/announcements/{announcement_id}/cancel-all",
    auth=WRITE,
    response={200: CancelAllOut, **ERRORS},
    operation_id="announcements_cancel_all",
)
@idempotent
def announcements_cancel_all(request, announcement_id: uuid.UUID):
    """Delete every post of the announcement not yet published (Google's copies too) and end a
    repeating one's series; published posts stay."""
    announcement = announcement_get_for_key(key=request.auth, announcement_id=announcement_id)
    return announcement_cancel_all(announcement=announcement, user=request.auth.user)
