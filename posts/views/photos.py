"""Post photos: the editor's upload (JSON, for the drop zone and file input) and, when photos are
kept in MEDIA_ROOT rather than a bucket, the files themselves at /media/ for Google to fetch."""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve

from franchises.access import headquarters_required
from franchises.selectors import franchise_get_for_user

from ..services import PhotoRefused, post_photo_store
from ..services.photos import FOLDER


@login_required
@require_POST
def photo_upload(request: HttpRequest, franchise_id) -> JsonResponse:
    """Store the uploaded `photo` for the franchise's posts: 201 {url, width, height, size}, or
    400 {error} saying why Google would not take it."""
    return _stored(request, franchise_get_for_user(user=request.user, franchise_id=franchise_id))


@headquarters_required("upload a photo for an announcement")
@require_POST
def announcement_photo_upload(request: HttpRequest) -> JsonResponse:
    """The same, for an announcement to many franchises: the photo is headquarters' own."""
    return _stored(request, None)


def _stored(request: HttpRequest, franchise) -> JsonResponse:
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"error": "Choose a JPG or PNG photo to upload."}, status=400)
    try:
        photo = post_photo_store(franchise=franchise, upload=upload, user=request.user)
    except PhotoRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {"url": photo.url, "width": photo.width, "height": photo.height, "size": photo.size}, status=201
    )


@require_GET
def photo_file(request: HttpRequest, path: str) -> HttpResponse:
    """A stored photo, to anyone: Google fetches it without logging in (as from a public bucket).
    Names are random; only the photos folder is served, and only from local storage."""
    path = posixpath.normpath(path).lstrip("/")
    if not isinstance(default_storage, FileSystemStorage) or not path.startswith(f"{FOLDER}/"):
        raise Http404("No such photo.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
