"""/api/v1/posts: list, read, preview, create, update, delete, schedule, unschedule, publish now.
Each write is the posts services' (posts/services), under the same rules as the pages."""

# No `from __future__ import annotations`: ninja reads these signatures through the idempotency
# wrapper, whose module cannot resolve annotations written as strings.

import datetime as dt
import uuid
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from posts.brand import post_check
from posts.gbp_mapping import local_post_body
from posts.models import Post
from posts.selectors import post_may_delete
from posts.services import post_create, post_delete, post_publish_now, post_schedule, post_unschedule, post_update

from ..auth import READ, WRITE
from ..errors import ErrorOut, brand_errors
from ..idempotency import idempotent
from ..paging import posts_page_for_key
from ..schemas import PostCreate, PostOut, PostPage, PostPreview, PostUpdate, PreviewOut, PublishOut, ScheduleIn
from ..selectors import franchise_get_for_key, post_get_for_key

router = Router(tags=["posts"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class PostFilters(Schema):
    franchise_id: uuid.UUID | None = None
    status: Literal[tuple(Post.Status.values)] | None = None  # type: ignore[valid-type]
    source: Literal[tuple(Post.Source.values)] | None = None  # type: ignore[valid-type]
    day_from: dt.date | None = Field(None, description="First day (in each post's franchise's zone) of the time shown.")
    day_to: dt.date | None = Field(None, description="Last day, included.")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200, description="`next_cursor` of the page before.")


@router.get("/posts", auth=READ, response={200: PostPage, **ERRORS}, operation_id="posts_list")
def posts_list(request, filters: Query[PostFilters]):
    """The posts the key reaches, newest first by the time shown (drafts without a time first),
    a page at a time: follow `next_cursor`."""
    page, next_cursor = posts_page_for_key(
        key=request.auth,
        franchise_id=filters.franchise_id,
        status=filters.status,
        source=filters.source,
        day_from=filters.day_from,
        day_to=filters.day_to,
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": page, "next_cursor": next_cursor}


# Before /posts/{post_id}: Django tries the paths in order, and "preview" would pass for an id there.
@router.post("/posts/preview", auth=READ, response={200: PreviewOut, **ERRORS}, operation_id="posts_preview")
@idempotent
def posts_preview(request, payload: PostPreview):
    """What a post would be, written nowhere: every rule it breaks (Google's and the brand's, each
    by field) and the LocalPost Google would be sent. A read-only key may ask."""
    fields = payload.model_dump(exclude_none=True)
    franchise = franchise_get_for_key(key=request.auth, franchise_id=fields.pop("franchise_id"))
    post = Post(franchise=franchise, **fields)
    problems = post_check(post)
    return {
        "schedulable": not problems,
        "problems": [p.as_dict() for p in problems],
        "google_body": local_post_body(post),
    }


@router.get("/posts/{post_id}", auth=READ, response={200: PostOut, **ERRORS}, operation_id="posts_read")
def posts_read(request, post_id: uuid.UUID):
    return post_get_for_key(key=request.auth, post_id=post_id)


@router.post("/posts", auth=WRITE, response={201: PostOut, **ERRORS}, operation_id="posts_create")
@idempotent
def posts_create(request, payload: PostCreate):
    """A new draft, or a scheduled post when `scheduled_at` is given (then it must pass every rule:
    the errors name the field and the rule)."""
    fields = payload.model_dump(exclude_none=True)
    franchise = franchise_get_for_key(key=request.auth, franchise_id=fields.pop("franchise_id"))
    at = fields.pop("scheduled_at", None)
    if at is not None:
        problems = post_check(Post(franchise=franchise, **fields))
        if problems:
            raise brand_errors(problems)
        fields.update(status=Post.Status.SCHEDULED, scheduled_at=at)
    # The database checks its constraints; a refusal is told as the pages tell it (post_create).
    post = post_create(franchise=franchise, user=request.auth.user, validate_constraints=False, **fields)
    return Status(201, Post.objects.get(pk=post.pk))


@router.patch("/posts/{post_id}", auth=WRITE, response={200: PostOut, **ERRORS}, operation_id="posts_update")
def posts_update(request, post_id: uuid.UUID, payload: PostUpdate):
    """Change a post's content (only the fields sent). A scheduled or published post must still
    pass every rule; a published one is changed on Google too. `version`: the one you read."""
    post = post_get_for_key(key=request.auth, post_id=post_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version", None)
    if post.status in (Post.Status.SCHEDULED, Post.Status.PUBLISHED):
        edited = Post.objects.get(pk=post.pk)
        for name, value in fields.items():
            setattr(edited, name, value)
        problems = post_check(edited)
        if problems:
            raise brand_errors(problems)
    return post_update(post=post, user=request.auth.user, version=version, **fields)


@router.delete("/posts/{post_id}", auth=WRITE, response={204: None, **ERRORS}, operation_id="posts_delete")
def posts_delete(request, post_id: uuid.UUID):
    """Delete a post, here and on Google (a live post: its franchise's admins only)."""
    post = post_get_for_key(key=request.auth, post_id=post_id)
    if not post_may_delete(user=request.auth.user, post=post):
        raise PermissionDenied("Only the franchise's admins can delete a post that is live on Google.")
    post_delete(post=post, user=request.auth.user)
    return Status(204, None)


@router.post("/posts/{post_id}/schedule", auth=WRITE, response={200: PostOut, **ERRORS}, operation_id="posts_schedule")
@idempotent
def posts_schedule(request, post_id: uuid.UUID, payload: ScheduleIn):
    """Schedule a draft (or move a scheduled or failed post) to go out at `at`."""
    post = post_get_for_key(key=request.auth, post_id=post_id)
    problems = post_check(post)
    if problems:
        raise brand_errors(problems)
    return post_schedule(post=post, at=payload.at, user=request.auth.user)


@router.post(
    "/posts/{post_id}/unschedule", auth=WRITE, response={200: PostOut, **ERRORS}, operation_id="posts_unschedule"
)
@idempotent
def posts_unschedule(request, post_id: uuid.UUID):
    """A scheduled post back to draft."""
    post = post_get_for_key(key=request.auth, post_id=post_id)
    return post_unschedule(post=post, user=request.auth.user)


@router.post("/posts/{post_id}/publish", auth=WRITE, response={200: PublishOut, **ERRORS}, operation_id="posts_publish")
@idempotent
def posts_publish(request, post_id: uuid.UUID):
    """Publish now, through the same exactly-once path as the publish job; `outcome` says what
    happened (a transient failure leaves it scheduled for the next run)."""
    post = post_get_for_key(key=request.auth, post_id=post_id)
    problems = post_check(post)
    if problems:
        raise brand_errors(problems)
    result = post_publish_now(post=post, user=request.auth.user)
    return {"outcome": result.outcome, "message": result.message, "post": Post.objects.get(pk=post.pk)}
