"""What each MCP tool does, for one API key: thin over the services and selectors the pages and
the REST API use (posts/services, posts/brand.py, posts/gbp_mapping.py, generation/services/
review.py, insights/selectors.py), never beside them.

Nothing is written without a preview first: preview_post returns a token bound to the key, the
franchise, the post, its exact content and the time (tokens.py); each write checks it against the
content as it is then, under a row lock, and spends it in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404

from api.errors import ApiError
from api.models import ApiKey
from api.paging import posts_page_for_key
from api.schemas import FranchiseOut, FranchiseResultsOut, PostOut, RankingOut
from api.selectors import franchise_get_for_key, franchises_for_key, post_get_for_key
from gbp_scheduler import clock
from generation.services.review import drafts_approve
from insights.selectors import insights_for_franchise, insights_ranking
from posts.brand import post_check
from posts.gbp_mapping import PostNotPublishable, local_post_body
from posts.models import Post
from posts.services import PostActionError, post_create, post_schedule
from posts.services.approvals import approval_gate, approval_waiting_words, posts_approve

from .tokens import PreviewRefused, preview_spend, preview_token_check, preview_token_make

NOT_FOUND = "Not found: it does not exist, or this key cannot see it."
READ_ONLY = "This API key can only read: make a read-and-write key on your profile page to change things."


class Refused(Exception):
    """A tool's call refused, in words the agent can act on (the server makes it a tool error)."""


def in_words(fn: Callable) -> Callable:
    """The services' refusals as Refused with their own words; a crash stays a crash (the SDK
    answers it with a generic error and logs it)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Http404:
            raise Refused(NOT_FOUND) from None
        except (PermissionDenied, PostActionError, PreviewRefused, PostNotPublishable) as exc:
            raise Refused(str(exc) or "Not allowed.") from None
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise Refused(
                    " ".join(f"{name}: {' '.join(e.messages)}" for name, e in exc.error_dict.items())
                ) from None
            raise Refused(" ".join(exc.messages)) from None
        except ApiError as exc:
            raise Refused(" ".join(item["message"] for item in exc.items)) from None

    return wrapper


def _writer(key: ApiKey) -> None:
    if not key.can_write:
        raise Refused(READ_ONLY)


def _post_json(post: Post) -> dict:
    return PostOut.model_validate(post).model_dump(mode="json")


# --- reads ------------------------------------------------------------------------------------------


@in_words
def list_franchises(*, key: ApiKey) -> dict:
    franchises = franchises_for_key(key=key).order_by("name", "pk")
    return {"franchises": [FranchiseOut.model_validate(f).model_dump(mode="json") for f in franchises]}


@in_words
def list_posts(
    *,
    key: ApiKey,
    franchise_id: uuid.UUID | None,
    status: str | None,
    source: str | None,
    day_from: dt.date | None,
    day_to: dt.date | None,
    limit: int,
    cursor: str | None,
) -> dict:
    page, next_cursor = posts_page_for_key(
        key=key,
        franchise_id=franchise_id,
        status=status,
        source=source,
        day_from=day_from,
        day_to=day_to,
        limit=limit,
        cursor=cursor,
    )
    return {"posts": [_post_json(post) for post in page], "next_cursor": next_cursor}


@in_words
def get_post(*, key: ApiKey, post_id: uuid.UUID) -> dict:
    return _post_json(post_get_for_key(key=key, post_id=post_id))


@in_words
def get_results(*, key: ApiKey, franchise_id: uuid.UUID | None) -> dict:
    if franchise_id is not None:
        franchise = franchise_get_for_key(key=key, franchise_id=franchise_id)
        figures = FranchiseResultsOut.model_validate(insights_for_franchise(franchise=franchise))
        return {"franchise_id": str(franchise.pk), "name": franchise.name, **figures.model_dump(mode="json")}
    ranking = insights_ranking(franchises=franchises_for_key(key=key))
    rows = [
        {
            **{k: v for k, v in row.items() if k != "franchise"},
            "franchise_id": row["franchise"].pk,
            "name": row["franchise"].name,
        }
        for row in ranking["rows"]
    ]
    return RankingOut.model_validate({**ranking, "rows": rows}).model_dump(mode="json")


# --- the preview --------------------------------------------------------------------------------------


def _subject(*, key: ApiKey, franchise_id, fields: dict | None, post_id) -> Post:
    """The post a preview or a write is about: an existing one (`post_id`), or new content for a
    franchise (`franchise_id` and `fields`), never saved here."""
    if post_id is not None:
        if franchise_id is not None or fields is not None:
            raise Refused("Give either post_id (an existing post) or franchise_id and post (new content), not both.")
        return post_get_for_key(key=key, post_id=post_id)
    if franchise_id is None or fields is None:
        raise Refused("Give post_id (an existing post), or franchise_id and post (new content).")
    franchise = franchise_get_for_key(key=key, franchise_id=franchise_id)
    post = Post(franchise=franchise, created_by=key.user, **fields)
    post.full_clean(exclude=["created_by"])
    return post


def _planned(post: Post, at: dt.datetime | None) -> dt.datetime | None:
    """The time a preview is about: the one asked, else an existing post's planned time."""
    return at if at is not None else (None if post._state.adding else post.scheduled_at)


@in_words
def preview_post(*, key: ApiKey, franchise_id, fields: dict | None, post_id, scheduled_at: dt.datetime | None) -> dict:
    post = _subject(key=key, franchise_id=franchise_id, fields=fields, post_id=post_id)
    at = _planned(post, scheduled_at)
    problems = post_check(post)
    try:
        google = local_post_body(post)
    except PostNotPublishable:
        google = None
    level = approval_gate(franchise=post.franchise, user=key.user) if post.status == Post.Status.DRAFT else ""
    token, expires = preview_token_make(key=key, post=post, at=at)
    return {
        "franchise": {"id": str(post.franchise_id), "name": post.franchise.name},
        "post_id": None if post._state.adding else str(post.pk),
        "scheduled_at": at.isoformat() if at else None,
        "google_local_post": google,
        "problems": [problem.as_dict() for problem in problems],
        "schedulable": not problems,
        "approval": {
            "needed": bool(level),
            "waits_for": level or None,
            "message": approval_waiting_words(level) if level else "Scheduling it puts it on the schedule directly.",
        },
        "preview_token": token,
        "preview_token_expires_at": expires.isoformat(),
    }


# --- writes (each confirmed by its preview) -------------------------------------------------------------


@in_words
def draft_post(
    *, key: ApiKey, franchise_id, fields: dict, scheduled_at: dt.datetime | None, preview_token: str
) -> dict:
    _writer(key)
    post = _subject(key=key, franchise_id=franchise_id, fields=fields, post_id=None)
    preview = preview_token_check(token=preview_token, key=key, post=post, at=scheduled_at)
    with transaction.atomic():
        preview_spend(preview)
        saved = post_create(franchise=post.franchise, user=key.user, scheduled_at=scheduled_at, **fields)
    return {"post": _post_json(Post.objects.get(pk=saved.pk)), "message": "Saved as a draft."}


def _scheduled_words(post: Post) -> str:
    if post.approval_waiting_for:
        return f"Not scheduled yet: {approval_waiting_words(post.approval_waiting_for).lower()}"
    return "Scheduled."


@in_words
def schedule_post(
    *, key: ApiKey, franchise_id, fields: dict | None, post_id, scheduled_at: dt.datetime, preview_token: str
) -> dict:
    """New content is created scheduled (post_build checks the rules and asks the approval gate);
    an existing post goes through post_schedule, under a row lock so it cannot change between the
    check of its content and the write."""
    _writer(key)
    if scheduled_at < clock.now():
        raise Refused("That time has passed: pick a time ahead, then preview again.")
    if post_id is None:
        post = _subject(key=key, franchise_id=franchise_id, fields=fields, post_id=None)
        preview = preview_token_check(token=preview_token, key=key, post=post, at=scheduled_at)
        with transaction.atomic():
            preview_spend(preview)
            saved = post_create(
                franchise=post.franchise,
                user=key.user,
                status=Post.Status.SCHEDULED,
                scheduled_at=scheduled_at,
                **fields,
            )
    else:
        found = _subject(key=key, franchise_id=franchise_id, fields=fields, post_id=post_id)
        with transaction.atomic():
            post = Post.objects.select_for_update().select_related("franchise").get(pk=found.pk)
            preview = preview_token_check(token=preview_token, key=key, post=post, at=scheduled_at)
            preview_spend(preview)
            saved = post_schedule(post=post, at=scheduled_at, user=key.user)
    saved = Post.objects.get(pk=saved.pk)
    return {"post": _post_json(saved), "message": _scheduled_words(saved)}


APPROVE_MAX = 50
NOT_A_DRAFT = "Not an AI draft nor a post waiting for approval: schedule a post of your own with schedule_post."


def _ai_draft(post: Post) -> bool:
    return post.status == Post.Status.DRAFT and post.source == Post.Source.AI


@in_words
def approve_drafts(*, key: ApiKey, drafts: list) -> dict:
    """AI drafts are scheduled at their planned times (generation's review service); posts waiting
    for approval that the key's user may approve are approved (the approval gate's service). Each
    needs its preview's token, for the draft as it is now and its planned time."""
    _writer(key)
    if not drafts:
        raise Refused("Give at least one draft: its post_id and its preview_token.")
    if len(drafts) > APPROVE_MAX:
        raise Refused(f"At most {APPROVE_MAX} drafts at a time.")
    refused: dict[str, str] = {}
    with transaction.atomic():
        confirmed: list[Post] = []
        for draft in drafts:
            try:
                found = post_get_for_key(key=key, post_id=draft.post_id)
            except Http404:
                refused[str(draft.post_id)] = NOT_FOUND
                continue
            post = Post.objects.select_for_update().select_related("franchise").get(pk=found.pk)
            try:
                preview = preview_token_check(token=draft.preview_token, key=key, post=post, at=post.scheduled_at)
                preview_spend(preview)
            except PreviewRefused as exc:
                refused[str(post.pk)] = str(exc)
                continue
            confirmed.append(post)
        waiting = [post.pk for post in confirmed if post.approval_waiting_for]
        ai = [post.pk for post in confirmed if not post.approval_waiting_for and _ai_draft(post)]
        for post in confirmed:
            if not post.approval_waiting_for and not _ai_draft(post):
                refused[str(post.pk)] = NOT_A_DRAFT
        done: list = []
        if waiting:
            outcome = posts_approve(user=key.user, post_ids=waiting)
            done += [post.pk for post in outcome.done]
            refused.update({str(pk): why for pk, why in outcome.refused.items()})
        if ai:
            outcome = drafts_approve(user=key.user, post_ids=ai)
            refused.update({str(pk): why for pk, why in outcome.refused.items()})
            done += [pk for pk in ai if str(pk) not in refused]
    posts = Post.objects.filter(pk__in=done).select_related("franchise").order_by("scheduled_at", "pk")
    return {
        "approved": [_post_json(post) | {"message": _scheduled_words(post)} for post in posts],
        "refused": refused,
    }
