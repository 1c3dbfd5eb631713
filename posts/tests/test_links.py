"""Links on posts are https, and a photo link names a JPG or PNG: refused in the form with a
message, and a post carrying one cannot be scheduled, as Google would not take it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from franchises.models import Membership
from posts.gbp_mapping import post_problems
from posts.links import link_problem, photo_problem
from posts.models import Post
from posts.services import PostActionError, post_schedule
from testkit.factories import make_franchise, make_member, make_post, make_user
from testkit.web import logged_in

pytestmark = pytest.mark.django_db

HTTPS = "must be a secure link that starts with https://."
NOT_A_PHOTO = "The photo link must point to a JPG or PNG file"


@pytest.fixture
def franchise():
    return make_franchise(timezone="America/New_York")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def _data(**fields) -> dict:
    return {"summary": "Fresh dough.", "topic_type": "STANDARD", "cta_action_type": "", "intent": "draft", **fields}


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/oven.jpg", True),
        ("https://example.com/OVEN.JPEG?size=large", True),
        ("https://cdn.example.com/a/b/photo.png#x", True),
        ("http://127.0.0.1:8000/media/post-photos/1/a.jpg", True),  # a local run's own photo
        ("http://example.com/oven.jpg", False),
        ("https://example.com/oven.gif", False),
        ("https://example.com/oven.webp", False),
        ("https://example.com/photo?id=3", False),
        ("ftp://example.com/oven.jpg", False),
    ],
)
def test_a_photo_link_must_be_https_and_name_a_jpg_or_png(url, ok):
    assert (photo_problem(url) is None) is ok


def test_a_link_must_be_https():
    assert link_problem("https://example.com", "The button link") is None
    assert link_problem("http://example.com", "The button link") == f"The button link {HTTPS}"
    assert link_problem("", "The button link") is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cta_url", "http://example.com/book", f"The button link {HTTPS}"),
        ("offer_redeem_url", "http://example.com/redeem", f"The redeem link {HTTPS}"),
        ("media_url", "http://example.com/oven.jpg", f"The photo link {HTTPS}"),
        ("media_url", "https://example.com/oven.gif", NOT_A_PHOTO),
    ],
)
def test_the_editor_refuses_an_http_link_or_a_photo_that_is_not_jpg_or_png(
    client, franchise, staff, field, value, message
):
    extra = {"cta_action_type": "BOOK"} if field == "cta_url" else {}
    response = client.post(reverse("posts:new", args=[franchise.pk]), _data(**{field: value}, **extra))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert len(errors) == 1 and errors[0].startswith(message)
    assert f'data-field="{field}"' in response.content.decode()  # in the error summary, linked
    assert not Post.objects.exists()


def test_a_link_typed_without_a_scheme_becomes_https(client, franchise, staff):
    client.post(reverse("posts:new", args=[franchise.pk]), _data(cta_action_type="BOOK", cta_url="example.com/book"))
    assert Post.objects.get().cta_url == "https://example.com/book"


def test_the_announcement_form_refuses_http_links_too(client):
    logged_in(client, make_user(superuser=True))
    data = {
        "summary": "Hi",
        "cta_url": "http://example.com",
        "media_url": "https://example.com/a.bmp",
        "step": "preview",
    }
    form = client.post(reverse("posts:announcement_new"), data).context["form"]
    assert form.errors["cta_url"] == [f"The button link {HTTPS}"]
    assert form.errors["media_url"][0].startswith(NOT_A_PHOTO)


def test_a_post_with_an_http_link_or_a_gif_cannot_be_scheduled(franchise):
    post = make_post(
        franchise=franchise, cta_action_type="LEARN_MORE", cta_url="http://example.com", media_url="https://e.com/a.gif"
    )
    problems = post_problems(post)
    assert f"The button link {HTTPS}" in problems and any(p.startswith(NOT_A_PHOTO) for p in problems)
    with pytest.raises(PostActionError, match="https://"):
        post_schedule(post=post, at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
