"""Google's side of a post after the create: review states, an owner's removal, and the photo
Google fetches from the post's sourceUrl while it creates the post."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from sandbox.pytest_plugin import SandboxHandle

from .local_posts import POSTS, standard_post

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000
GIF = b"GIF89a" + b"\x00" * 2000


@pytest.fixture
def files() -> Iterator[str]:
    """A web server on 127.0.0.1 serving /photo.jpg, /photo.png, /renamed.jpg (a GIF),
    /page.html; anything else is 404."""
    served = {"/photo.jpg": JPEG, "/photo.png": PNG, "/renamed.jpg": GIF, "/page.html": b"<html></html>"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = served.get(self.path)
            self.send_response(200 if data else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def photo(url: str) -> dict:
    return standard_post(media=[{"mediaFormat": "PHOTO", "sourceUrl": url}])


def created(gbp: httpx.Client, body: dict) -> dict:
    answer = gbp.post(POSTS, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- review states and removals ----------------------------------------------------------------


def test_a_rejected_post_is_listed_and_got_as_rejected_and_customers_no_longer_see_it(gbp, sandbox: SandboxHandle):
    post = created(gbp, standard_post("Miracle cure, guaranteed."))
    sandbox.client.reject_post(post["name"])

    assert [p["state"] for p in gbp.get(POSTS).json()["localPosts"]] == ["REJECTED"]
    assert gbp.get("/v4/" + post["name"]).json()["state"] == "REJECTED"
    assert sandbox.client.posts()[0]["state"] == "REJECTED"
    assert "Miracle cure" not in gbp.get("/_sandbox/locations/2001").text


def test_a_post_removed_by_its_owner_is_gone_from_the_api_without_an_api_delete(gbp, sandbox: SandboxHandle):
    post = created(gbp, standard_post())
    sandbox.client.remove_post(post["name"])

    assert gbp.get(POSTS).json().get("localPosts", []) == []
    assert gbp.get("/v4/" + post["name"]).status_code == 404
    assert sandbox.client.posts()[0]["removed_by_owner"] is True
    assert sandbox.client.calls("posts.delete") == 0


def test_new_posts_are_processing_during_review_then_live(gbp, sandbox: SandboxHandle):
    sandbox.client.set_post_review(60)
    assert created(gbp, standard_post("In review."))["state"] == "PROCESSING"
    sandbox.client.set_post_review(0)
    assert created(gbp, standard_post("Live at once."))["state"] == "LIVE"


def test_only_review_states_can_be_set(sandbox: SandboxHandle, gbp):
    post = created(gbp, standard_post())
    with pytest.raises(Exception, match="state must be one of"):
        sandbox.client.set_post_state(post["name"], "DELETED")


# --- the photo Google fetches -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/photo.jpg", "/photo.png"])
def test_a_photo_google_can_fetch_is_fetched_at_create_and_kept_on_the_post(gbp, sandbox, files, path):
    post = created(gbp, photo(files + path))

    assert post["media"][0]["sourceUrl"] == files + path
    fetched = sandbox.client.media_fetches()
    assert [(f["url"], f["status"], f["ok"]) for f in fetched] == [(files + path, 200, True)]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing.jpg", "answered HTTP 404"),
        ("/renamed.jpg", "not a JPG or PNG image"),
        ("/page.html", "not a JPG or PNG image"),
    ],
)
def test_a_photo_that_cannot_be_fetched_or_is_no_image_fails_the_create_as_google_does(
    gbp, sandbox, files, path, reason
):
    answer = gbp.post(POSTS, json=photo(files + path))

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    detail = error["details"][0]
    assert detail["@type"] == "type.googleapis.com/google.mybusiness.v4.ValidationError"
    assert detail["errorDetails"][0]["field"] == "media[0].source_url"
    assert reason in detail["errorDetails"][0]["message"]
    assert sandbox.client.posts() == []


def test_an_unreachable_photo_host_fails_the_create(gbp, sandbox):
    answer = gbp.post(POSTS, json=photo("http://127.0.0.1:9/photo.jpg"))  # the discard port: nothing listens
    assert answer.status_code == 400
    assert "could not be reached" in answer.json()["error"]["details"][0]["errorDetails"][0]["message"]


def test_a_photo_on_a_host_the_sandbox_may_not_reach_is_taken_on_trust(gbp, sandbox):
    created(gbp, photo("https://photos.example.com/a.jpg"))
    assert sandbox.client.media_fetches() == []
