"""Headquarters locks an announcement's text; a franchise admin gives their post their own photo but
cannot change the text (read-only, with the reason); "edit all" changes the text everywhere and
keeps that photo. On a desktop and a 390x844 phone, axe-clean, fitting the phone."""

from __future__ import annotations

import pytest

from franchises.models import Membership
from posts.models import Post
from testkit.factories import make_franchise, make_member, make_user
from testkit.photos import photo_bytes

from .test_accessibility import VIEWPORTS, _violations


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_locked_text_holds_while_a_franchise_changes_its_photo_and_edit_all_keeps_it(
    site, local_photo_storage, tmp_path, viewport
):
    page = site.page
    page.set_viewport_size(VIEWPORTS[viewport])
    make_user(superuser=True, username="hq")
    akron = make_franchise(name="Akron Shop", city="Akron", timezone="America/New_York")
    make_franchise(name="Lima Shop", city="Lima", timezone="America/New_York")
    make_member(akron, Membership.Role.ADMIN, username="akron-admin")

    # Headquarters sends it with the text locked.
    site.sign_in("hq")
    site.goto("/announcements/new/")
    page.check("#id_all_franchises")
    page.fill("#summary", "Winter menu at {name}.")
    page.fill("#id_date", "2030-12-20")
    page.fill("#id_local_time", "09:00")
    page.check("#announcement-locks input[value=text]")
    assert _violations(page) == []
    page.click("#announcement-preview")
    page.wait_for_selector("#announcement-previews")
    page.click("#announcement-schedule")
    page.wait_for_selector("#announcement-posts")
    announcement_url = page.url

    # Akron's admin: the text is read-only with the reason; a new photo is theirs to give.
    page.context.clear_cookies()
    site.sign_in("akron-admin")
    post = Post.objects.get(franchise=akron)
    site.goto(f"/posts/{post.pk}/edit/")
    assert "Headquarters locked this announcement's text" in page.locator("#lock-note").inner_text()
    assert page.locator("#summary").get_attribute("readonly") is not None
    assert "Locked by headquarters" in page.locator("#field-summary").inner_text()
    photo = tmp_path / "akron.jpg"
    photo.write_bytes(photo_bytes())
    page.set_input_files("#photo-input", str(photo))
    page.wait_for_selector("#photo-status[data-state=done]")
    own_photo = page.input_value("#id_media_url")
    assert _violations(page) == []
    assert _fits(page)
    site.screenshot("locked-fields-editor" if viewport == "desktop" else "locked-fields-editor-phone")
    page.click("#save")
    page.wait_for_selector("text=Changes saved.")
    post.refresh_from_db()
    assert post.summary == "Winter menu at Akron Shop." and post.media_url == own_photo

    # Headquarters edits all, without overwriting: the new text everywhere, Akron's photo kept.
    page.context.clear_cookies()
    site.sign_in("hq")
    page.goto(announcement_url)
    page.click("#announcement-edit-all")
    page.wait_for_selector("#announcement-edit-form")
    assert page.locator("#announcement-locks input[value=text]").is_checked()
    page.fill("#summary", "Spring menu at {name}.")
    assert _violations(page) == []
    assert _fits(page)
    page.click("#announcement-edit-save")
    page.wait_for_selector("text=Changed 2 posts.")
    assert "Kept their own changes to the parts not locked: Akron Shop." in page.content()
    posts = {p.franchise.name: p for p in Post.objects.select_related("franchise")}
    assert posts["Akron Shop"].summary == "Spring menu at Akron Shop."
    assert posts["Akron Shop"].media_url == own_photo
    assert posts["Lima Shop"].summary == "Spring menu at Lima Shop." and posts["Lima Shop"].media_url == ""
    assert site.csp_violations() == []
