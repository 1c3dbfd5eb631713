"""Photos uploaded for posts: checked against what Google accepts, stored through Django's storage
API (an S3-compatible bucket through django-storages, or MEDIA_ROOT served by the app), and
their public URL used as the post's photo (`media_url`, the LocalPost's `sourceUrl`): Google
fetches the photo from there when it creates the post.

Pillow reads the file itself, not its name or the browser's word for it: a GIF renamed .jpg is a
GIF. The position a phone's camera records in a photo (its GPS tags) is removed before the photo
is stored: the photo goes public on Google, where it was taken (often someone's home) does not.

A stored photo is deleted with the last post that uses it (several may: a duplicate keeps its
original's photo), unless a repeating post or an announcement still holds it for its later posts;
one uploaded and never used is deleted a day later, the next time its franchise uploads a photo.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.utils import timezone

from franchises.models import Franchise

from ..models import Announcement, Post, PostPhoto, PostSeries

logger = logging.getLogger(__name__)

# What Google accepts for a photo (its Business Profile photo guidelines,
# https://support.google.com/business/answer/6103862, the same for photos on posts): JPG or PNG,
# between 10 KB and 5 MB, at least 250 x 250 pixels (720 x 720 recommended). Pillow calls a JPEG
# that carries several pictures (some phones save those) MPO; it is a JPG all the same.
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "MPO": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}
MIN_BYTES = 10 * 1024
MAX_BYTES = 5 * 1024 * 1024
MIN_SIDE = 250
RECOMMENDED_SIDE = 720
# More pixels than this is no photo a phone or camera takes; Pillow refuses to decode it anyway
# (its guard against decompression bombs).
MAX_PIXELS = 90_000_000
# Vercel refuses a request body over 4.5 MB before it reaches the app (413): there a photo must
# leave room for the rest of the upload's request.
VERCEL_MAX_BYTES = 4_400_000
FOLDER = "post-photos"
UNUSED_AFTER = dt.timedelta(days=1)
UNUSED_SWEEP = 20  # unused photos deleted per upload, at most
GPS_TAGS = 0x8825  # the Exif pointer to the GPS tags (ExifTags.IFD.GPSInfo)


class PhotoRefused(ValueError):
    """The file cannot be a post's photo; the message says why and what to do."""


@dataclass(frozen=True)
class PhotoFacts:
    format: str
    extension: str
    content_type: str
    width: int
    height: int
    size: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def upload_max_bytes() -> int:
    """The largest photo this site takes: Google's 5 MB, less on Vercel (its request limit)."""
    return min(MAX_BYTES, VERCEL_MAX_BYTES) if settings.ON_VERCEL else MAX_BYTES


def photo_check(*, upload, name: str = "") -> PhotoFacts:
    """Check an uploaded file against Google's rules for a photo; PhotoRefused says what is wrong.
    `name` is the file's name on the person's device, for the message."""
    size = upload.size
    if MAX_BYTES >= size > upload_max_bytes():
        raise PhotoRefused(
            f"The file is {_megabytes(size)}; this site takes photos up to {_megabytes(upload_max_bytes())} "
            "(Google's own limit is 5 MB). Save a smaller copy and choose that."
        )
    if size > MAX_BYTES:
        raise PhotoRefused(
            f"The file is {_megabytes(size)}; Google takes photos up to 5 MB. Save a smaller copy (most phones "
            "and photo editors can export a medium size) and choose that."
        )
    from PIL import Image, UnidentifiedImageError  # the editor's upload needs it; nothing else loads it

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                kind, (width, height) = image.format, image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("The image has far too many pixels for a photo; save a smaller copy.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRefused("This file is not an image Google can show: choose a JPG or PNG photo.") from None
    finally:
        upload.seek(0)
    if kind not in FORMATS:
        named = f" (though its name ends in .{name.rsplit('.', 1)[1]})" if "." in name else ""
        raise PhotoRefused(
            f"This file is a {kind} image{named}; Google takes JPG or PNG photos only. Save it as JPG or PNG "
            "and choose it again."
        )
    if width * height > MAX_PIXELS:
        raise PhotoRefused("The image has far too many pixels for a photo; save a smaller copy.")
    if min(width, height) < MIN_SIDE:
        raise PhotoRefused(
            f"The photo is {width} x {height} pixels; Google needs at least {MIN_SIDE} x {MIN_SIDE} "
            f"({RECOMMENDED_SIDE} x {RECOMMENDED_SIDE} or more looks best)."
        )
    if size < MIN_BYTES:
        raise PhotoRefused(f"The file is only {size / 1024:.1f} KB; Google needs a photo of at least 10 KB.")
    _photo_decode(upload, kind=kind, width=width, height=height)
    extension, content_type = FORMATS[kind]
    return PhotoFacts(kind, extension, content_type, width, height, size)


def _photo_decode(upload, *, kind: str, width: int, height: int) -> None:
    """Decode the whole file, or PhotoRefused: Pillow's verify() checks a PNG's chunks but reads
    nothing of a JPEG's picture, so a JPEG cut short passed it and was stored. A JPEG is decoded
    at an eighth of its size (every byte is still read), so a large photo costs little memory."""
    from PIL import Image

    try:
        with Image.open(upload) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if kind in ("JPEG", "MPO"):
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
    except (OSError, SyntaxError, ValueError):
        raise PhotoRefused(
            "The file is damaged or cut short (part of the picture is missing): save or export the photo again "
            "and choose the new file."
        ) from None
    finally:
        upload.seek(0)


def photo_without_position(*, upload, facts: PhotoFacts) -> ContentFile | None:
    """A copy of the checked photo without its GPS tags, or None when it has none (then the file
    is stored as it came). The other Exif tags stay (the orientation turns the photo the right way
    up), a JPG keeps its quantisation tables (`quality="keep"`: no visible loss), and the colour
    profile stays."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            exif = image.getexif()
            if GPS_TAGS not in exif:
                return None
            del exif[GPS_TAGS]
            options = {"exif": exif.tobytes(), "icc_profile": image.info.get("icc_profile")}
            if facts.format == "JPEG":
                options["quality"] = "keep"
            elif facts.extension == "jpg":  # an MPO's first picture; Pillow keeps tables of a plain JPEG only
                options["quality"] = 95
            out = io.BytesIO()
            image.save(out, format="JPEG" if facts.extension == "jpg" else "PNG", **options)
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue())


def photo_public_url(name: str) -> str:
    """The URL anyone (Google) can fetch a stored photo from: the storage's own, made absolute
    with SITE_URL when the app serves it (MEDIA_ROOT)."""
    url = default_storage.url(name)
    return url if "://" in url else f"{settings.SITE_URL}{url}"


def post_photo_store(*, franchise: Franchise | None, upload, user: AbstractBaseUser | None = None) -> PostPhoto:
    """Check and store a photo for the franchise's posts (None: headquarters', for an announcement
    to many franchises); its PostPhoto (with the public URL)."""
    if not settings.PHOTO_UPLOADS_ENABLED:
        raise PhotoRefused(
            "Photo uploads are not set up on this site (it needs a bucket: PHOTO_STORAGE_BUCKET). Paste the "
            "link of a photo that is already online instead."
        )
    facts = photo_check(upload=upload, name=getattr(upload, "name", "") or "")
    content = photo_without_position(upload=upload, facts=facts)
    if content is not None:
        facts = dataclasses.replace(facts, size=content.size)
    else:
        content = File(upload)
    owner = franchise.pk if franchise is not None else "headquarters"
    name = default_storage.save(f"{FOLDER}/{owner}/{uuid.uuid4().hex}.{facts.extension}", content)
    photo = PostPhoto.objects.create(
        franchise=franchise,
        file=name,
        url=photo_public_url(name),
        content_type=facts.content_type,
        width=facts.width,
        height=facts.height,
        size=facts.size,
        uploaded_by=user if user is not None and user.is_authenticated else None,
    )
    photos_unused_delete(franchise=franchise, before=timezone.now() - UNUSED_AFTER, limit=UNUSED_SWEEP)
    return photo


# What may use a stored photo: posts, and the repeating posts and announcements whose later posts
# will (a monthly post's next one may be weeks from being made).
USERS = (Post, PostSeries, Announcement)


def _unused(photos):
    """Those of `photos` nothing uses (one query, whatever the users)."""
    for model in USERS:
        photos = photos.exclude(Exists(model.objects.filter(media_url=OuterRef("url"))))
    return photos


def post_photo_release(*, url: str) -> bool:
    """A post stopped using the photo at `url` (deleted, or given another photo): delete the stored
    photo when it is one of ours and nothing uses it any more. True when deleted."""
    if not url:
        return False
    deleted = False
    for photo in _unused(PostPhoto.objects.filter(url=url)):
        deleted |= _photo_delete(photo)
    return deleted


def photos_unused_delete(*, franchise: Franchise | None, before: dt.datetime, limit: int) -> int:
    """Delete up to `limit` of the franchise's (None: headquarters') photos uploaded before `before`
    that nothing uses."""
    unused = _unused(PostPhoto.objects.filter(franchise=franchise, created_at__lt=before))
    return sum(_photo_delete(photo) for photo in unused.order_by("created_at")[:limit])


def _photo_delete(photo: PostPhoto) -> bool:
    try:
        default_storage.delete(photo.file.name)
    except Exception:
        # The row stays, so a later sweep tries again; the post itself is already gone.
        logger.exception("Could not delete the stored photo %s", photo.file.name)
        return False
    photo.delete()
    return True
