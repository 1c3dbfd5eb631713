"""The editor's live counter in headless Chromium counts what the server (and Google) count:
Unicode code points. 1,500 emoji are 1,500 characters, not the 3,000 UTF-16 units a browser's
String.length reports; the server agrees on both sides of the limit."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise

PASSWORD = "e2e-passphrase-not-secret"
EMOJI = "\N{CROISSANT}"  # outside the Basic Multilingual Plane: two UTF-16 units


def test_the_live_counter_counts_emoji_once_like_the_server(site):
    page = site.page
    franchise = make_franchise(name="Emoji Bakery")
    user = get_user_model().objects.create_user(username="baker", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    site.sign_in("baker")

    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    counter = page.locator("#char-count")
    page.fill("#summary", EMOJI * 1500)
    assert counter.inner_text() == "1,500 / 1,500 characters"
    assert "over" not in counter.get_attribute("class")
    assert page.evaluate("document.getElementById('summary').value.length") == 3000  # what it used to show

    page.press("#summary", "End")
    page.keyboard.type(EMOJI)
    assert counter.inner_text() == "1,501 / 1,500 characters — 1 too many"
    assert "over" in counter.get_attribute("class")
    page.locator("#preview-problems").get_by_text("The text is 1,501 characters").wait_for()  # the server agrees

    page.press("#summary", "Backspace")  # one emoji, one key press
    assert counter.inner_text() == "1,500 / 1,500 characters"
    page.click("#save")
    page.wait_for_selector("#post-status")
    assert Post.objects.get().summary == EMOJI * 1500
    assert site.csp_violations() == []
