"""The `link` filter gives what `{% url %}` gives, for every one-id view the home page's cards link to."""

from __future__ import annotations

import uuid

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

NAMES = [
    "franchises:detail",
    "franchises:google_connect",
    "franchises:google_pick_location",
    "franchises:settings",
    "franchises:members",
    "posts:detail",
    "posts:new",
    "posts:franchise_list",
    "posts:calendar",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_link_is_the_url_the_url_tag_gives(name):
    pk = uuid.uuid4()
    rendered = Template("{% load links %}{{ pk|link:name }}|{% url name pk %}").render(
        Context({"pk": pk, "name": name})
    )
    linked, url = rendered.split("|")
    assert linked == url == reverse(name, args=[pk])


def test_a_link_follows_the_script_prefix():
    pk = uuid.uuid4()
    set_script_prefix("/app/")
    try:
        linked = Template('{% load links %}{{ pk|link:"posts:detail" }}').render(Context({"pk": pk}))
        assert linked == reverse("posts:detail", args=[pk]) and linked.startswith("/app/")
    finally:
        set_script_prefix("/")


def test_a_view_without_one_id_is_refused():
    with pytest.raises(NoReverseMatch):
        Template('{% load links %}{{ 1|link:"posts:list" }}').render(Context())
