"""The sandbox's OAuth consent page, driven the way a browser would, and the URLs it returns."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx


def consent(url: str, decision: str = "allow", *, drop: tuple[str, ...] = ()) -> str:
    """Open the sandbox consent page and press Allow or Deny like a browser; return the redirect URL.

    `drop` removes hidden fields before submitting (e.g. "prompt", to play a Google that sends no
    refresh token on a repeat consent).
    """
    with httpx.Client(trust_env=False, timeout=10) as http:
        page = http.get(url)
        assert page.status_code == 200, page.text
        assert f'id="{decision}"' in page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        fields = {k: v.replace("&amp;", "&") for k, v in fields.items() if k not in drop}
        answer = http.post(str(page.url.join(action)), data={**fields, "decision": decision})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def local_path(url: str) -> str:
    """The path and query of our callback URL, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, list[str]]:
    """The query string of `url`, parsed (every value a list)."""
    return parse_qs(urlsplit(url).query)
