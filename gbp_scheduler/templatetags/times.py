"""`{% load times %}{{ value|when }}`: how a time reads on a page, in the zone the page renders in
(a franchise's pages render in its zone: posts/views/_common.render_in_zone)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def when(value) -> str:
    """ "Mon 7 Dec 2026, 09:00" for a datetime, "Mon 7 Dec 2026" for a date; "" for nothing."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%a} {value.day} {value:%b %Y}"
    return str(value)
