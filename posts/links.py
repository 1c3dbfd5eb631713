"""What a link on a post must be: https (Google refuses others), and a photo's a JPG or PNG.

Google's checks (gbp_mapping.post_problems) and the forms' field validators (form_fields.py) both
ask here, so a link is refused in the same words wherever it is typed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Google takes JPG and PNG photos only; a photo link must name one.
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")
# The one exception to https: this machine, where only a local run (`make run`, the tests) serves
# its own uploaded photos over plain http. Google could not fetch from there anyway.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def link_problem(url: str, what: str) -> str | None:
    """Why `url` may not go on a post (`what` names it: "The button link"), or None when it may."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        return None
    return f"{what} must be a secure link that starts with https://."


def photo_problem(url: str) -> str | None:
    """Why `url` cannot be a post's photo, or None: https, and a JPG or PNG by its name, as Google
    takes only those. (Uploaded photos are checked by content too, and named .jpg or .png.)"""
    if not url:
        return None
    if problem := link_problem(url, "The photo link"):
        return problem
    if not urlsplit(url).path.lower().endswith(PHOTO_EXTENSIONS):
        return (
            "The photo link must point to a JPG or PNG file (its name ending in .jpg, .jpeg or .png): Google "
            "takes only those. Upload the photo instead if its link does not say."
        )
    return None
