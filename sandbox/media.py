"""Google fetches a new post's photo itself, from the media item's `sourceUrl`, while it creates
the post: a URL it cannot fetch, or one that does not answer with a JPG or PNG image, makes the
create fail with 400 INVALID_ARGUMENT. The sandbox does the same for URLs it may reach.

The sandbox fetches only http(s) URLs on loopback (127.0.0.1, localhost, ::1) and on the hosts
named through the control API (`media_hosts`): the tests' network guard refuses anything else,
and `make run` has nothing else to reach. A photo on any other host is taken on trust, as a
fetch that worked. Every fetch is recorded (`media_fetches`), so a test can see that the photo
was fetched from the app's URL.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from .state import State

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Google's limit for a post photo: 5 MB (and JPG or PNG only).
MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def image_kind(data: bytes) -> str | None:
    """The image type of `data` by its first bytes (what Google goes by, not the file name)."""
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def fetchable(state: State, url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    with state.lock:
        allowed = host in LOOPBACK or host in state.media_hosts
    return parts.scheme in ("http", "https") and allowed


def media_problems(state: State, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Fetch each photo of `body` the sandbox may reach; the errorDetails of those that fail."""
    problems = []
    for index, item in enumerate(body.get("media") or []):
        url = item.get("sourceUrl") if isinstance(item, dict) else None
        if item.get("mediaFormat") != "PHOTO" or not isinstance(url, str) or not fetchable(state, url):
            continue
        problem = _fetch(state, url)
        if problem:
            problems.append({"code": 3, "field": f"media[{index}].source_url", "message": problem, "value": url})
    return problems


def _fetch(state: State, url: str) -> str | None:
    """Fetch the photo (outside the state lock) and record it; why it is refused, or None."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    record: dict[str, Any] = {"url": url, "at": time.time(), "status": None, "content_type": "", "bytes": 0}
    problem = None
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "Google"})
        with opener.open(request, timeout=state.media_fetch_timeout) as answer:
            data = answer.read(MAX_BYTES + 1)
            record.update(status=answer.status, content_type=answer.headers.get("Content-Type", ""), bytes=len(data))
    except urllib.error.HTTPError as exc:
        record["status"] = exc.code
        problem = f"Fetching the image failed: {url} answered HTTP {exc.code}."
    except (OSError, ValueError) as exc:
        problem = f"Fetching the image failed: {url} could not be reached ({type(exc).__name__})."
    else:
        kind = image_kind(data)
        if len(data) > MAX_BYTES:
            problem = f"The image at {url} is larger than 5 MB."
        elif kind is None:
            problem = f"The file at {url} is not a JPG or PNG image."
        record["image"] = kind
    record["ok"] = problem is None
    with state.lock:
        state.media_fetches.append(record)
    return problem
