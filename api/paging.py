"""A page of the posts a key reaches, by the list's own order, from where the last page ended (no
COUNT, no OFFSET): the REST API's /posts and the MCP server's list_posts both page this way."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from django.db.models import Q

from posts.models import Post
from posts.selectors import posts_list_for_user

from .errors import ApiError
from .models import ApiKey
from .selectors import franchise_get_for_key, franchises_for_key, of_key


def post_cursor(post: Post) -> str:
    shown = post.shown_at.isoformat() if post.shown_at else None
    raw = json.dumps([shown, post.created_at.isoformat(), str(post.pk)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def posts_after(cursor: str) -> Q:
    """The posts after the cursor's in the list's order (time shown newest first, drafts without
    one leading; then newest created, then id), as the index posts_shown_idx walks it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        shown, created, pk = json.loads(raw)
        shown = dt.datetime.fromisoformat(shown) if shown is not None else None
        created, pk = dt.datetime.fromisoformat(created), uuid.UUID(pk)
    except (ValueError, TypeError):
        raise ApiError(
            422, "invalid", "This cursor is not one the API gave: start without it.", field="cursor"
        ) from None
    later = Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk)
    if shown is None:
        return Q(shown_at__isnull=True) & later | Q(shown_at__isnull=False)
    return Q(shown_at__lt=shown) | Q(shown_at=shown) & later


def posts_page_for_key(
    *,
    key: ApiKey,
    franchise_id: uuid.UUID | None = None,
    status: str | None = None,
    source: str | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[Post], str | None]:
    """The page of the key's posts the filters and cursor name, and the next page's cursor."""
    franchise = franchise_get_for_key(key=key, franchise_id=franchise_id) if franchise_id else None
    zones = ()
    if franchise is None and (day_from or day_to):
        zones = franchises_for_key(key=key).order_by().values_list("timezone", flat=True).distinct()
    posts = posts_list_for_user(
        user=key.user,
        franchise=franchise,
        status=status or "",
        source=source or "",
        day_from=day_from,
        day_to=day_to,
        zones=zones,
    )
    posts = of_key(posts, key=key)
    if cursor:
        posts = posts.filter(posts_after(cursor))
    page = list(posts[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, post_cursor(page[-1]) if more else None
