"""Photos uploaded for posts, kept in MEDIA_ROOT and served by the app: checked with Pillow as
Google would (format by content, size, dimensions), refused with a message that says why, served
publicly for Google to fetch, and deleted with the last post that uses them."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from franchises.models import Membership
from gbp_scheduler.jobs import TimeBudget
from posts.models import Post, PostPhoto
from posts.services import post_delete, post_duplicate, post_update, posts_publish_due
from posts.services.photos import post_photo_store
from testkit.factories import make_franchise, make_member, make_post
from testkit.google import franchise_connected_to_sandbox
from testkit.photos import photo_bytes, photo_upload
from testkit.web import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def franchise():
    return make_franchise(name="Sunrise Bakery")


@pytest.fixture
def staff(client, franchise):
    user = make_member(franchise, Membership.Role.STAFF)
    logged_in(client, user)
    return user


def upload(client, franchise, file):
    return client.post(reverse("posts:photo_upload", args=[franchise.pk]), {"photo": file})


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_a_jpg_or_png_is_stored_and_its_public_url_answered(client, franchise, staff, local_photo_storage, kind):
    answer = upload(client, franchise, photo_upload(kind, (1200, 900)))

    assert answer.status_code == 201, answer.content
    body = answer.json()
    extension = "jpg" if kind == "JPEG" else "png"
    assert body["url"].startswith(f"http://127.0.0.1:8000/media/post-photos/{franchise.pk}/")
    assert body["url"].endswith(f".{extension}") and (body["width"], body["height"]) == (1200, 900)
    photo = PostPhoto.objects.get()
    assert photo.url == body["url"] and photo.uploaded_by == staff and photo.franchise == franchise
    assert (local_photo_storage / photo.file.name).is_file()


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: SimpleUploadedFile("huge.jpg", os.urandom(30 * 1024 * 1024)), "The file is 30.0 MB; Google takes"),
        (lambda: photo_upload("GIF", name="party.jpg"), "This file is a GIF image (though its name ends in .jpg)"),
        (lambda: photo_upload("PNG", (10, 10)), "The photo is 10 x 10 pixels; Google needs at least 250 x 250"),
        (lambda: photo_upload("JPEG", (1200, 200)), "The photo is 1200 x 200 pixels; Google needs at least 250 x 250"),
        (lambda: SimpleUploadedFile("notes.jpg", b"no image " * 2000), "This file is not an image Google can show"),
        (lambda: SimpleUploadedFile("plain.png", plain_png()), "KB; Google needs a photo of at least 10 KB"),
        (lambda: SimpleUploadedFile("cut.jpg", photo_bytes("JPEG")[:-4000]), "is damaged or cut short"),
        (lambda: SimpleUploadedFile("cut.png", photo_bytes("PNG")[:-4000]), "is damaged or cut short"),
    ],
    ids=["30 MB", "GIF renamed .jpg", "10x10", "too narrow", "not an image", "under 10 KB", "cut JPG", "cut PNG"],
)
def test_what_google_would_not_take_is_refused_with_a_message_that_says_why(
    client, franchise, staff, local_photo_storage, make, why
):
    answer = upload(client, franchise, make())

    assert answer.status_code == 400
    assert why in answer.json()["error"]
    assert not PostPhoto.objects.exists() and not any(local_photo_storage.rglob("*.*"))


def plain_png() -> bytes:
    """A 400 x 400 PNG of one color: a few hundred bytes, below Google's 10 KB."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 400), "white").save(out, format="PNG")
    return out.getvalue()


def test_the_stored_photo_is_public_for_google_and_nothing_else_is_served(client, franchise, local_photo_storage):
    photo = post_photo_store(franchise=franchise, upload=photo_upload())
    path = photo.url.removeprefix("http://127.0.0.1:8000")

    answer = client.get(path)  # not logged in: as Google fetches it

    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert b"".join(answer.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "immutable" in answer["Cache-Control"]
    (local_photo_storage / "notes.txt").write_text("private")
    assert client.get("/media/notes.txt").status_code == 404
    assert client.get("/media/post-photos/../notes.txt").status_code == 404


def test_on_vercel_a_photo_over_its_request_limit_is_refused_before_google_would(
    client, franchise, staff, settings, local_photo_storage
):
    settings.ON_VERCEL = True  # Vercel answers 413 to a request body over 4.5 MB
    big = SimpleUploadedFile("big.jpg", photo_bytes("JPEG", (800, 600)) + os.urandom(4_500_000))

    answer = upload(client, franchise, big)

    assert answer.status_code == 400
    assert "this site takes photos up to 4.2 MB (Google's own limit is 5 MB)" in answer.json()["error"]
    page = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert 'data-max-bytes="4400000"' in page


def test_uploads_need_a_bucket_where_the_file_system_is_not_kept(client, franchise, staff, settings):
    settings.PHOTO_UPLOADS_ENABLED = False  # as on Vercel without PHOTO_STORAGE_BUCKET

    answer = upload(client, franchise, photo_upload())

    assert answer.status_code == 400 and "PHOTO_STORAGE_BUCKET" in answer.json()["error"]
    editor = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert 'id="photo-uploads-off"' in editor and 'id="photo-input"' not in editor


def test_another_franchises_user_cannot_upload_for_it(client, franchise, local_photo_storage):
    logged_in(client, make_member(make_franchise(), Membership.Role.ADMIN))
    assert upload(client, franchise, photo_upload()).status_code == 404


# --- the editor -------------------------------------------------------------------------------------


def test_the_editor_offers_the_drop_zone_and_a_file_input_phones_can_use(client, franchise, staff):
    page = client.get(reverse("posts:new", args=[franchise.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'id="photo-drop"' in page and f'data-upload-url="/franchises/{franchise.pk}/photos/"' in page
    assert 'type="file" name="photo" id="photo-input" accept="image/jpeg,image/png"' in page
    assert "/static/js/photos.js" in page and 'id="id_media_url"' in page


def test_without_javascript_the_photo_goes_with_the_form(client, franchise, staff, local_photo_storage):
    answer = client.post(
        reverse("posts:new", args=[franchise.pk]),
        {"summary": "Our new patio.", "topic_type": "STANDARD", "intent": "draft", "photo": photo_upload()},
    )

    assert answer.status_code == 302
    post = Post.objects.get()
    assert post.media_url == PostPhoto.objects.get().url


def test_without_javascript_a_refused_photo_is_said_on_the_form_and_nothing_is_saved(
    client, franchise, staff, local_photo_storage
):
    answer = client.post(
        reverse("posts:new", args=[franchise.pk]),
        {"summary": "Our new patio.", "topic_type": "STANDARD", "intent": "draft", "photo": photo_upload("GIF")},
    )

    assert answer.status_code == 200
    assert "Photo not uploaded: This file is a GIF image" in answer.content.decode()
    assert not Post.objects.exists()


# --- deleted with the post ------------------------------------------------------------------------


def test_the_stored_photo_is_deleted_with_the_last_post_that_uses_it(franchise, local_photo_storage):
    photo = post_photo_store(franchise=franchise, upload=photo_upload())
    stored = local_photo_storage / photo.file.name
    post = make_post(franchise=franchise, media_url=photo.url)
    copy = post_duplicate(post=post)

    post_delete(post=post)
    assert stored.is_file(), "the duplicate still uses it"
    post_delete(post=copy)

    assert not stored.exists() and not PostPhoto.objects.exists()


def test_a_photo_replaced_in_the_editor_is_deleted(franchise, local_photo_storage):
    first = post_photo_store(franchise=franchise, upload=photo_upload())
    second = post_photo_store(franchise=franchise, upload=photo_upload())
    post = make_post(franchise=franchise, media_url=first.url)

    post_update(post=post, media_url=second.url)

    assert list(PostPhoto.objects.values_list("url", flat=True)) == [second.url]
    assert not (local_photo_storage / first.file.name).exists()


def test_a_photo_uploaded_and_never_used_is_deleted_a_day_later(franchise, local_photo_storage):
    abandoned = post_photo_store(franchise=franchise, upload=photo_upload())
    PostPhoto.objects.filter(pk=abandoned.pk).update(created_at=timezone.now() - dt.timedelta(days=2))

    post_photo_store(franchise=franchise, upload=photo_upload())

    assert not PostPhoto.objects.filter(pk=abandoned.pk).exists()
    assert not (local_photo_storage / abandoned.file.name).exists()


# --- Google fetches it ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_google_fetches_the_photo_from_the_app_and_the_post_carries_it(
    sandbox, live_server, settings, local_photo_storage
):
    settings.SITE_URL = live_server.url
    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, name="Sunrise Bakery")
    photo = post_photo_store(franchise=franchise, upload=photo_upload())
    make_post(franchise=franchise, status=Post.Status.SCHEDULED, scheduled_at=timezone.now(), media_url=photo.url)

    assert posts_publish_due(budget=TimeBudget(seconds=60))["published"] == 1

    assert [(f["url"], f["status"], f["image"]) for f in sandbox.client.media_fetches()] == [
        (photo.url, 200, "image/jpeg")
    ]
    assert sandbox.client.posts()[0]["body"]["media"] == [{"mediaFormat": "PHOTO", "sourceUrl": photo.url}]


def test_a_photo_google_cannot_fetch_fails_the_post_with_googles_reason(sandbox, settings, franchise):
    settings.PUBLISH_CONCURRENCY = 1
    franchise = franchise_connected_to_sandbox(sandbox, franchise)
    post = make_post(
        franchise=franchise,
        status=Post.Status.SCHEDULED,
        scheduled_at=timezone.now(),
        media_url="http://127.0.0.1:9/media/post-photos/gone.jpg",  # nothing listens there
    )

    assert posts_publish_due(budget=TimeBudget(seconds=60))["failed"] == 1

    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert "media[0].source_url: Fetching the image failed" in post.last_error
    assert sandbox.client.posts() == []


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
def test_the_position_the_camera_recorded_is_removed_before_the_photo_is_stored(franchise, local_photo_storage, kind):
    """A photo taken at home carries its GPS position; Google shows the photo to everyone, so the
    position is removed. The rest (the orientation: which way is up) stays."""
    from PIL import Image

    gps = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}
    taken = photo_bytes(kind, (1000, 800), exif={0x0112: 6, 0x8825: gps})  # 6: turned 90 degrees
    with Image.open(io.BytesIO(taken)) as original:
        assert original.getexif().get_ifd(0x8825)[2] == (40.0, 26.0, 46.0)  # the camera's position is there

    photo = post_photo_store(franchise=franchise, upload=SimpleUploadedFile(f"home.{kind.lower()}", taken))

    stored = (local_photo_storage / photo.file.name).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        exif = image.getexif()
        assert 0x8825 not in exif and exif.get_ifd(0x8825) == {}
        assert exif[0x0112] == 6
        assert image.format == kind and image.size == (1000, 800)
    assert photo.size == len(stored) and (photo.width, photo.height) == (1000, 800)


def test_a_photo_without_a_position_is_stored_byte_for_byte(franchise, local_photo_storage):
    taken = photo_bytes("JPEG", (1000, 800), exif={0x0112: 1})

    photo = post_photo_store(franchise=franchise, upload=SimpleUploadedFile("shop.jpg", taken))

    assert (local_photo_storage / photo.file.name).read_bytes() == taken
