"""The editor's AI help in headless Chromium: ask for a suggestion, see it, use it or discard it,
then save; against the live server and the sandbox standing in for Claude."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_post

PASSWORD = "e2e-passphrase-not-secret"
DRAFT = "Fresh sourdough every morning at 7. Come early: the first dozen loaves come with free jam!"
SHORTER = "Sourdough at 7 every morning; jam for the first dozen."
ANGLE = "Ever wondered why our loaves rest for 36 hours? Taste the patience this week."


def test_ask_for_a_suggestion_use_one_discard_another_and_save(site, sandbox):
    page = site.page
    franchise = make_franchise(name="Sunrise Bakery", city="Portland", website="https://sunrise-bakery.example")
    user = get_user_model().objects.create_user(username="baker", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.STAFF)
    draft = make_post(franchise=franchise, source=Post.Source.AI, summary=DRAFT)
    sandbox.client.script_messages({"json": {"summary": SHORTER}}, {"json": {"summary": ANGLE}})

    site.sign_in("baker")
    site.goto(f"/posts/{draft.pk}/edit/")
    summary = page.locator("#summary")
    assert summary.input_value() == DRAFT

    # "Shorter": the suggestion shows beside the text, which stays as it was until accepted.
    page.click("#ai-shorter")
    card = page.locator("[data-testid=ai-suggestion]")
    card.wait_for()
    assert SHORTER in card.inner_text() and "shorter" in card.inner_text()
    assert summary.input_value() == DRAFT
    site.screenshot("editor-ai-suggestion")
    page.click("#ai-accept")
    assert summary.input_value() == SHORTER
    assert card.count() == 0
    assert page.locator("#char-count").inner_text().startswith(f"{len(SHORTER)} / 1,500 characters")
    page.locator("#preview").get_by_text(SHORTER).wait_for()  # the preview follows the accepted text

    # "Another angle", discarded: the text keeps the accepted suggestion.
    page.click("#ai-angle")
    card.wait_for()
    assert ANGLE in card.inner_text()
    page.click("#ai-discard")
    assert card.count() == 0
    assert summary.input_value() == SHORTER

    # Claude busy: the refusal shows in the same place, and the text is untouched.
    sandbox.client.fail("messages", 529)
    page.click("#ai-rewrite")
    page.locator("#ai-error").wait_for()
    assert "busy" in page.locator("#ai-error").inner_text()
    assert summary.input_value() == SHORTER

    # Nothing was saved by any of it; saving the form saves the accepted text.
    draft.refresh_from_db()
    assert draft.summary == DRAFT
    page.click("#save")
    page.wait_for_selector("#post-status")
    draft.refresh_from_db()
    assert draft.summary == SHORTER
    assert site.csp_violations() == []
