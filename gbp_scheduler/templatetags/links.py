"""`{{ post.pk|link:"posts:detail" }}`: the URL `{% url "posts:detail" post.pk %}` gives, for a view
taking one id, without resolving the route again each time. Django's reverse walks the URL
patterns on every call: the home page's 30 cards made some 500 calls, about 30 ms a request. The
route is still reversed by Django, once, around a stand-in id."""

from __future__ import annotations

import functools
import uuid

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()

STAND_IN = str(uuid.UUID(int=0))


@functools.lru_cache(maxsize=256)
def _around(name: str, prefix: str, urlconf: str | None) -> tuple[str, str]:
    """What `name`'s URL holds before and after its one id (the script prefix and URL conf are
    part of the key: reverse's answer depends on them)."""
    url = reverse(name, args=[STAND_IN], urlconf=urlconf)
    before, found, after = url.partition(STAND_IN)
    if not found:
        raise template.TemplateSyntaxError(f"{name} does not take one id: use {{% url %}}")
    return before, after


@register.filter
def link(pk, name: str) -> str:
    """The URL of view `name` for the id `pk` (a UUID or a number: neither needs quoting)."""
    before, after = _around(name, get_script_prefix(), get_urlconf())
    return f"{before}{pk}{after}"
