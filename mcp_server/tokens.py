"""Preview tokens: the confirmation an agent sends back to write what it previewed.

A token is signed (Django's signing, SECRET_KEY) and names the key that asked, the franchise, the
post (for an existing one), the exact content (a SHA-256 of every content field) and the time; it
expires after LIFETIME and confirms one write (`preview_spend`). A write recomputes the content's
digest and compares every part: anything changed since the preview, and the agent is told to
preview again."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction

from api.models import ApiKey
from gbp_scheduler import clock
from posts import content
from posts.models import Post

from .models import SpentPreview

LIFETIME = dt.timedelta(minutes=30)
SALT = "mcp_server.preview"


class PreviewRefused(Exception):
    """The token does not confirm this write; the message says what to do."""


def content_digest(post: Post) -> str:
    """Every content field of `post` (saved or not), as one SHA-256."""
    values = {}
    for name in content.NAMES:
        value = getattr(post, name)
        values[name] = value.astimezone(dt.UTC).isoformat() if isinstance(value, dt.datetime) else value
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _time(at: dt.datetime | None) -> str:
    return at.astimezone(dt.UTC).isoformat() if at is not None else ""


@dataclass(frozen=True)
class Preview:
    key_id: str
    franchise_id: str
    post_id: str  # "" for content not saved yet
    digest: str
    at: str  # "" for no time
    nonce: str


def preview_token_make(*, key: ApiKey, post: Post, at: dt.datetime | None) -> tuple[str, dt.datetime]:
    """A token confirming `post` (its franchise, its content, itself if saved) at `at`, for `key`;
    and when it expires."""
    payload = {
        "k": str(key.pk),
        "f": str(post.franchise_id),
        "p": str(post.pk) if post.pk and not post._state.adding else "",
        "c": content_digest(post),
        "t": _time(at),
        "n": secrets.token_hex(16),
    }
    return signing.dumps(payload, salt=SALT, compress=True), clock.now() + LIFETIME


def preview_token_check(*, token: str, key: ApiKey, post: Post, at: dt.datetime | None) -> Preview:
    """The preview behind `token` when it confirms exactly this write; PreviewRefused otherwise."""
    again = "Call preview_post again and confirm with its new preview_token."
    try:
        data = signing.loads(token, salt=SALT, max_age=LIFETIME)
    except signing.SignatureExpired:
        raise PreviewRefused(
            f"This preview_token has expired (they last {LIFETIME.seconds // 60} minutes). {again}"
        ) from None
    except signing.BadSignature:
        raise PreviewRefused(
            f"This preview_token is not one preview_post gave (check it was copied whole). {again}"
        ) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(part), str) for part in "kfpctn"):
        raise PreviewRefused(f"This preview_token is not one preview_post gave. {again}") from None
    preview = Preview(data["k"], data["f"], data["p"], data["c"], data["t"], data["n"])
    saved = str(post.pk) if post.pk and not post._state.adding else ""
    if preview.key_id != str(key.pk):
        raise PreviewRefused(f"This preview_token was made with another API key. {again}") from None
    if preview.franchise_id != str(post.franchise_id) or preview.post_id != saved:
        raise PreviewRefused(f"This preview_token is for another post or franchise. {again}") from None
    if preview.digest != content_digest(post):
        raise PreviewRefused(
            f"The post's content differs from what was previewed (it changed since). {again}"
        ) from None
    if preview.at != _time(at):
        raise PreviewRefused(f"The time differs from the one previewed. {again}") from None
    return preview


def preview_spend(preview: Preview) -> None:
    """Mark the preview used, inside the caller's transaction (so a write that fails gives it back);
    PreviewRefused when it was used already."""
    now = clock.now()
    SpentPreview.objects.filter(spent_at__lt=now - LIFETIME).delete()
    try:
        with transaction.atomic():
            SpentPreview.objects.create(nonce=preview.nonce, spent_at=now)
    except IntegrityError:
        raise PreviewRefused(
            "This preview_token was used already: each confirms one write. Call preview_post again."
        ) from None
