"""One way a time reads: the `times` filters and gbp_scheduler/times.py, in the page's zone, which
the page names once. Templates and views never format a time themselves."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone

from franchises.models import Membership
from franchises.zones import user_zone_name
from gbp_scheduler.times import LazyZone, clock_text, day_text, month_text, when_text
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
AT = dt.datetime(2026, 12, 5, 13, 30, tzinfo=dt.UTC)  # 08:30 in New York, 14:30 in Berlin


def render(text: str, **context) -> str:
    return Template("{% load times %}" + text).render(Context(context))


def test_a_time_reads_one_way_in_the_pages_zone():
    with timezone.override(NEW_YORK):
        assert render("{{ at|when }}", at=AT) == "Sat 5 Dec 2026, 08:30"
        assert render("{{ at|when_day }} · {{ at|when_time }}", at=AT) == "Sat 5 Dec 2026 · 08:30"
        assert render("{{ d|when_month }} · {{ d|when_short }} · {{ d|when_day_short }}", d=AT.date()) == (
            "December 2026 · 5 Dec · Sat 5 Dec"
        )
        assert render("{{ t|when_time }}", t=dt.time(9, 5)) == "09:05"
        assert render("{{ nothing|when }}", nothing=None) == ""


def test_a_time_in_another_zone_than_the_pages_says_its_zone():
    berlin = make_franchise(timezone="Europe/Berlin")
    new_york = make_franchise(timezone="America/New_York")
    with timezone.override(NEW_YORK):
        assert render("{{ at|when:f }}", at=AT, f=berlin) == "Sat 5 Dec 2026, 14:30 CET"
        assert render("{{ at|when:f }}", at=AT, f=new_york) == "Sat 5 Dec 2026, 08:30"
        assert render("{{ at|when_time:'Asia/Tokyo' }}", at=AT) == "22:30 JST"
    # Emails and history name the zone whatever the page.
    assert when_text(AT, new_york, named=True) == "Sat 5 Dec 2026, 08:30 EST"


def test_the_day_of_a_late_evening_is_the_local_day():
    late = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)  # Sat 22:00 in New York
    assert day_text(late, NEW_YORK) == "Sat 5 Dec 2026" and clock_text(late, NEW_YORK, named=False) == "22:00"
    assert month_text(dt.date(2027, 1, 1)) == "January 2027"


def test_a_lazy_zone_converts_as_its_zone_across_a_daylight_saving_change():
    lazy = LazyZone(lambda: "America/New_York")
    # 2026-11-01 01:30 happens twice in New York; both moments read back as they are.
    for utc_hour, offset in ((5, -4), (6, -5)):
        moment = dt.datetime(2026, 11, 1, utc_hour, 30, tzinfo=dt.UTC)
        local = moment.astimezone(lazy)
        assert (local.hour, local.minute) == (1, 30)
        assert local.utcoffset() == dt.timedelta(hours=offset)
        assert local.astimezone(dt.UTC) == moment
    assert str(lazy) == "America/New_York"


def test_the_zone_is_only_looked_up_when_a_time_is_shown(django_assert_num_queries):
    asked = []
    zone = LazyZone(lambda: asked.append(1) or "Europe/Berlin")
    with timezone.override(zone):
        assert asked == []
        assert render("{{ at|when }}", at=AT) == "Sat 5 Dec 2026, 14:30"
        render("{{ at|when }}", at=AT)
    assert asked == [1]


def test_a_users_zone_is_the_one_most_of_their_franchises_are_in():
    tokyo = make_franchise(timezone="Asia/Tokyo")
    user = make_member(tokyo, Membership.Role.STAFF)
    assert user_zone_name(user=user) == "Asia/Tokyo"
    for _ in range(2):
        make_franchise(timezone="Europe/Berlin")
    assert user_zone_name(user=make_user(superuser=True)) == "Europe/Berlin"  # headquarters: every franchise
    assert user_zone_name(user=make_user()) == settings.TIME_ZONE  # no franchise: the site's


def test_a_franchise_page_reads_in_its_zone_and_names_it_once(client):
    berlin = make_franchise(timezone="Europe/Berlin")
    make_franchise(timezone="America/New_York")
    make_franchise(timezone="America/New_York")
    post = make_post(franchise=berlin, status=Post.Status.SCHEDULED, scheduled_at=AT)
    page = logged_in(client, make_user(superuser=True)).get(f"/posts/{post.pk}/").content.decode()
    assert page.count("Europe/Berlin") == 1 and "Times in Europe/Berlin" in page
    assert "Sat 5 Dec 2026, 14:30<" in page and "CET" not in page and "UTC" not in page
    # Across franchises the page reads in headquarters' zone, and Berlin's post says its own.
    listing = client.get("/posts/").content.decode()
    assert "Times in America/New_York" in listing and "Sat 5 Dec 2026, 14:30 CET" in listing


# A time written by hand: Django's date/time filters, {% now %}, strftime or an f-string format.
BY_HAND_IN_TEMPLATES = re.compile(r"\|\s*(date|time)\b|\{%\s*now\b|strftime")
BY_HAND_IN_PYTHON = re.compile(r"strftime|\{[^{}\n]*:%[a-zA-Z-]|date_format\(|time_format\(")
ALLOWED = {ROOT / "gbp_scheduler" / "times.py", ROOT / "gbp_scheduler" / "templatetags" / "times.py"}


def _python_that_renders_pages() -> list[Path]:
    found = []
    for app in ("dashboard", "franchises", "generation", "health", "insights", "posts", "gbp_scheduler"):
        for path in (ROOT / app).rglob("*.py"):
            parts = set(path.relative_to(ROOT).parts)
            if "tests" in parts or "migrations" in parts:
                continue
            if {"views", "templatetags"} & parts or path.name in ("views.py", "context_processors.py"):
                found.append(path)
    return found


@pytest.mark.parametrize("kind", ["templates", "views"])
def test_no_template_or_view_formats_a_time_by_hand(kind):
    if kind == "templates":
        files, pattern = sorted((ROOT / "templates").rglob("*.*")), BY_HAND_IN_TEMPLATES
    else:
        files, pattern = _python_that_renders_pages(), BY_HAND_IN_PYTHON
    assert files
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in files
        if path not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == [], "format times with the `times` filters (gbp_scheduler/templatetags/times.py)"
