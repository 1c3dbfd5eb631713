"""Google's side of a post in headless Chromium, against the live server and the sandbox:

1. A photo chosen in the editor is uploaded, checked and shown in the preview; the post is
   scheduled and published, and Google (the sandbox) fetched the photo from our URL. A 30 MB file,
   a GIF renamed .jpg and a 10x10 image are refused with a message that says why.
2. Google rejects a published post: after a sync run the home card and the post say so, and the
   post is edited and republished after confirming.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import zoneinfo

from django.contrib.auth import get_user_model

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostPhoto
from posts.services import google_posts_sync, posts_publish_due
from testkit.google import franchise_connected_to_sandbox, google_posts
from testkit.photos import photo_bytes

PASSWORD = "e2e-passphrase-not-secret"
ZONE = "America/Chicago"


def _member(franchise, username: str) -> None:
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password=PASSWORD)
    Membership.objects.create(user=user, franchise=franchise, role=Membership.Role.ADMIN)


def _local_minute() -> str:
    now = dt.datetime.now(zoneinfo.ZoneInfo(ZONE))
    if now.second > 45:  # keep the value fresh until the form is sent
        time.sleep(61 - now.second)
        now = dt.datetime.now(zoneinfo.ZoneInfo(ZONE))
    return now.strftime("%Y-%m-%dT%H:%M")


def _choose(page, folder, name: str, data: bytes) -> str:
    """Pick a file in the editor's file input (from disk, as a person would); the upload's status
    line once it settles."""
    path = folder / name
    path.write_bytes(data)
    page.eval_on_selector("#photo-status", "status => status.removeAttribute('data-state')")  # not the last one's
    page.set_input_files("#photo-input", str(path))
    page.wait_for_selector("#photo-status[data-state=done], #photo-status[data-state=error]")
    return page.locator("#photo-status").inner_text()


def test_pick_a_photo_preview_it_schedule_and_google_fetches_it_from_our_url(
    site, sandbox, local_photo_storage, tmp_path
):
    page = site.page
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery", timezone=ZONE)
    _member(franchise, "baker")
    site.sign_in("baker")
    site.goto(f"/franchises/{franchise.pk}/posts/new/")
    page.fill("#summary", "Our new patio is open: come sit in the sun.")

    # Refused, each with the reason: too big (checked before uploading), not a JPG or PNG
    # whatever its name says, too small.
    message = _choose(page, tmp_path, "huge.jpg", os.urandom(30 * 1024 * 1024))
    assert "Not uploaded: the file is 30.0 MB; Google takes photos up to 5 MB" in message
    message = _choose(page, tmp_path, "party.jpg", photo_bytes("GIF"))
    assert "Not uploaded: This file is a GIF image (though its name ends in .jpg); Google takes JPG or PNG" in message
    message = _choose(page, tmp_path, "icon.png", photo_bytes("PNG", (10, 10)))
    assert "Not uploaded: The photo is 10 x 10 pixels; Google needs at least 250 x 250" in message
    assert page.locator("#id_media_url").input_value() == "" and not PostPhoto.objects.exists()
    site.screenshot("editor-photo-refused")

    # A good photo: uploaded, its URL is the post's photo, the preview shows it.
    message = _choose(page, tmp_path, "patio.jpg", photo_bytes("JPEG", (1200, 900)))
    assert "Uploaded (1200 x 900 pixels)" in message
    url = page.locator("#id_media_url").input_value()
    assert url.startswith(f"{site.base}/media/post-photos/{franchise.pk}/") and url.endswith(".jpg")
    page.wait_for_function(
        "url => { const img = document.querySelector('#preview-image'); "
        "return img && img.src === url && img.complete && img.naturalWidth === 1200; }",
        arg=url,
    )
    site.screenshot("editor-photo")

    # Schedule it for now; the publish job sends it, and Google fetches the photo from us.
    page.fill("#id_scheduled_at", _local_minute())
    page.click("#save-schedule")
    page.wait_for_selector("#post-status[data-status=scheduled]")
    # On SQLite the live server shares this thread's in-memory database connection: let the page
    # finish loading (its preview image, its scripts' requests) before the job uses it here.
    page.wait_for_load_state("networkidle")
    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1
    post = Post.objects.get(franchise=franchise)
    assert post.status == Post.Status.PUBLISHED and post.media_url == url
    assert [(f["url"], f["status"], f["image"]) for f in sandbox.client.media_fetches()] == [(url, 200, "image/jpeg")]
    assert google_posts(sandbox, franchise)[0]["body"]["media"] == [{"mediaFormat": "PHOTO", "sourceUrl": url}]
    page.reload()
    assert page.locator("#preview-image").get_attribute("src") == url

    assert site.csp_violations() == []


def test_a_post_google_rejected_is_shown_then_edited_and_republished_after_confirming(site, sandbox):
    page = site.page
    franchise = franchise_connected_to_sandbox(sandbox, name="Harbor Fitness", timezone=ZONE)
    _member(franchise, "coach")
    post = Post.objects.create(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=dt.datetime.now(dt.UTC),
        summary="Lose 10 kg in a week, guaranteed!",
    )
    posts_publish_due(budget=TimeBudget(seconds=60))
    post.refresh_from_db()
    sandbox.client.reject_post(post.google_post_name)
    assert google_posts_sync(budget=TimeBudget(seconds=60))["rejected"] == 1

    # The home card and the post say what happened and what to do.
    site.sign_in("coach")
    notices = page.locator(f"#google-notices-{franchise.pk}")
    assert "Rejected by Google" in notices.inner_text()
    site.screenshot("home-google-rejected")
    notices.get_by_role("link").click()
    notice = page.locator("#google-notice")
    assert "Google rejected this post." in notice.inner_text() and "republish" in notice.inner_text()
    assert page.locator("#google-state").get_attribute("data-state") == "REJECTED"
    site.screenshot("post-google-rejected")

    # Edit (saved here only), then republish after confirming: a new copy replaces the rejected one.
    page.click("[data-action=notice-edit]")
    page.fill("#summary", "Classes all week: come try one for free.")
    page.click("#save")
    assert "Republish the post to put them on Google" in page.locator("#messages").inner_text()
    page.click("#republish-link")
    assert "Republish this post on Google?" in page.locator("h1").inner_text()
    page.click("#confirm-republish")
    page.wait_for_selector("#messages")
    assert "Republished" in page.locator("#messages").inner_text()
    assert page.locator("#google-notice").count() == 0
    assert page.locator("#google-state").get_attribute("data-state") == "LIVE"
    live = [item["summary"] for item in google_posts(sandbox, franchise)]
    assert live == ["Classes all week: come try one for free."]

    assert site.csp_violations() == []
