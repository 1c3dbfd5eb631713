"""The franchise pages say what to do next: the history is linked, one "Sign out", the time-zone
menu offers canonical zones grouped by region with the franchise's country first, and Google's
state of a post is told in words."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from franchises.forms import zone_choices, zones_canonical
from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_post
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

SETTINGS = {
    "description": "A bakery.",
    "services": "Bread",
    "city": "Boston",
    "website": "",
    "tone": "warm",
    "posts_per_week": "2",
    "ai_drafts_enabled": "on",
}


def _options(body: str) -> list[str]:
    select = re.search(r'<select name="timezone".*?</select>', body, re.S).group(0)
    return re.findall(r'<option value="([^"]+)"', select)


def _groups(body: str) -> list[str]:
    select = re.search(r'<select name="timezone".*?</select>', body, re.S).group(0)
    return re.findall(r'<optgroup label="([^"]+)"', select)


def test_the_franchise_page_links_its_history_for_admins_only(client):
    franchise = make_franchise()
    url = reverse("franchises:detail", args=[franchise.pk])
    history = f'href="{reverse("posts:history", args=[franchise.pk])}"'
    assert history in logged_in(client, make_member(franchise, Membership.Role.ADMIN)).get(url).content.decode()
    assert history not in logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(url).content.decode()


def test_the_franchise_list_has_one_sign_out_the_menus(client):
    franchise = make_franchise()
    body = logged_in(client, make_member(franchise, Membership.Role.STAFF)).get(reverse("franchises:list")).content
    assert body.decode().count(">Sign out<") == 1


def test_the_time_zone_menu_offers_canonical_names_without_legacy_aliases():
    offered = zones_canonical()
    for alias in ("EST", "US/Eastern", "Asia/Calcutta", "Europe/Kiev", "America/Buenos_Aires", "Etc/GMT+5", "GB"):
        assert alias not in offered
    for zone in ("America/New_York", "Asia/Kolkata", "Europe/Kyiv", "America/Argentina/Buenos_Aires"):
        assert zone in offered
    assert 300 < len(offered) < 450  # of the ~600 names the database knows


def test_the_franchise_country_comes_first_then_utc_then_regions(client):
    franchise = make_franchise(timezone="America/New_York")
    admin = make_member(franchise, Membership.Role.ADMIN)
    body = logged_in(client, admin).get(reverse("franchises:settings", args=[franchise.pk])).content.decode()
    groups = _groups(body)
    assert groups[:3] == ["United States", "Universal", "Africa"]
    assert {"America", "Asia", "Europe", "Pacific"} <= set(groups)
    options = _options(body)
    assert options.index("America/Chicago") < options.index("UTC") < options.index("Europe/Paris")
    assert options.count("America/New_York") == 1 and len(options) == len(set(options))
    assert '<option value="America/New_York" selected>' in body


def test_a_franchise_in_utc_has_no_country_to_put_first():
    groups = [label for label, _ in zone_choices("UTC")]
    assert groups[0] == "Universal" and "United States" not in groups


def test_a_legacy_zone_saved_earlier_is_kept_so_saving_changes_nothing(client):
    franchise = make_franchise(timezone="US/Eastern")
    admin = make_member(franchise, Membership.Role.ADMIN)
    url = reverse("franchises:settings", args=[franchise.pk])
    body = logged_in(client, admin).get(url).content.decode()
    assert _groups(body)[0] == "Current" and '<option value="US/Eastern" selected>' in body
    assert client.post(url, {**SETTINGS, "timezone": "US/Eastern"}).status_code == 302
    franchise.refresh_from_db()
    assert franchise.timezone == "US/Eastern"
    client.post(url, {**SETTINGS, "timezone": "America/Detroit"})
    franchise.refresh_from_db()
    assert franchise.timezone == "America/Detroit"


def test_google_state_is_told_in_words_on_the_post_page(client):
    franchise = make_franchise()
    post = make_post(franchise=franchise, status=Post.Status.PUBLISHED, google_state="LIVE")
    body = (
        logged_in(client, make_member(franchise, Membership.Role.STAFF))
        .get(reverse("posts:detail", args=[post.pk]))
        .content.decode()
    )
    assert "Live: customers see it on Google" in body
    assert ">LIVE<" not in body
