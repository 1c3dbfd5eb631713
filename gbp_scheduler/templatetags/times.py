"""How a time reads on a page: `{% load times %}{{ post.scheduled_at|when }}`.

- `when`: "Sat 5 Dec 2026, 08:30" in the page's zone (the signed-in user's, or on a franchise's
  own pages the franchise's). `|when:post.franchise` reads it in that franchise's zone, adding
  the zone's abbreviation ("14:30 CET") only when that is not the page's zone.
- `when_day` "Sat 5 Dec 2026", `when_time` "08:30", `when_month` "December 2026", `when_day_short`
  "Sat 5 Dec" (a calendar's day) and `when_short` "5 Dec" (a range's ends, the year said beside).
- `{% page_zone %}`: the page's zone, named once per page (base.html).

The formats live in gbp_scheduler/times.py, for emails and messages too; a test
(gbp_scheduler/tests/test_times_filter.py) fails when a template or a view formats a time itself.
For a machine (a `data-` attribute, a URL, an input's value) write `{{ day.isoformat }}`.
"""

from __future__ import annotations

from django import template

from gbp_scheduler import times

register = template.Library()


@register.filter
def when(value, zone=None) -> str:
    return times.when_text(value, zone)


@register.filter
def when_day(value, zone=None) -> str:
    return times.day_text(value, zone)


@register.filter
def when_time(value, zone=None) -> str:
    return times.clock_text(value, zone)


@register.filter
def when_month(value) -> str:
    return times.month_text(value)


@register.filter
def when_day_short(value) -> str:
    return times.day_short_text(value)


@register.filter
def when_short(value) -> str:
    return times.day_month_text(value)


@register.simple_tag
def page_zone() -> str:
    return times.zone_name()
