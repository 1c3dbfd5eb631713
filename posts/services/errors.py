"""The errors a post action ends with: what the person is told, and what to do."""

from __future__ import annotations

from ..models import Post


class PostActionError(Exception):
    """The action cannot be done on this post now; the message says why and what to do."""


class PostChangedError(PostActionError):
    """Someone else changed the post since it was read; `current` is the post as it is now."""

    def __init__(self, current: Post):
        super().__init__(
            "Someone else changed this post while you were working on it, so your changes were not saved. "
            "The current version is shown; apply your changes to it and save again."
        )
        self.current = current
