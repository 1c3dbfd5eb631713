"""HTTP plumbing: a ThreadingHTTPServer that routes Google, Anthropic and control paths.

One port serves everything, because the app reaches Google through one base URL
(GOOGLE_API_BASE_URL) and Anthropic through ANTHROPIC_BASE_URL.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import anthropic, anthropic_batches, control, gbp, google_oauth, pages, performance, reviews
from .faults import fault_body, latency_for, take_fault
from .state import State
from .wire import HTTPError, Request, Response, json_response

Handler = Callable[..., Response]
A, L, P = r"(?P<account>[^/]+)", r"(?P<location>[^/]+)", r"(?P<post_id>[^/]+)"
POSTS = rf"/v4/accounts/{A}/locations/{L}/localPosts"
REVIEWS = rf"/v4/accounts/{A}/locations/{L}/reviews"
R = r"(?P<review_id>[^/]+)"
BATCH = r"/v1/messages/batches/(?P<batch_id>[^/]+)"

# (method, path regex, family, route kind, handler). The family picks the error shape of
# injected faults; the kind is what faults, latency and counters are keyed on.
ROUTES: list[tuple[str, re.Pattern[str], str, str, Handler]] = [
    (m, re.compile(p + r"\Z"), fam, kind, h)
    for m, p, fam, kind, h in [
        ("GET", r"/o/oauth2/v2/auth", "oauth", "auth", google_oauth.consent_page),
        ("POST", r"/o/oauth2/v2/auth", "oauth", "auth", google_oauth.consent_submit),
        ("POST", r"/token", "oauth", "token", google_oauth.token),
        ("POST", r"/revoke", "oauth", "revoke", google_oauth.revoke),
        ("GET", r"/v1/accounts", "google", "accounts", gbp.list_accounts),
        ("GET", rf"/v1/accounts/{A}/locations", "google", "locations", gbp.list_locations),
        ("POST", POSTS, "google", "posts.create", gbp.create_post),
        ("GET", POSTS, "google", "posts.list", gbp.list_posts),
        ("GET", rf"{POSTS}/{P}", "google", "posts.get", gbp.get_post),
        ("PATCH", rf"{POSTS}/{P}", "google", "posts.patch", gbp.patch_post),
        ("DELETE", rf"{POSTS}/{P}", "google", "posts.delete", gbp.delete_post),
        ("GET", REVIEWS, "google", "reviews.list", reviews.list_reviews),
        ("POST", rf"/v4/accounts/{A}/locations:batchGetReviews", "google", "reviews.batch", reviews.batch_get_reviews),
        ("GET", rf"{REVIEWS}/{R}", "google", "reviews.get", reviews.get_review),
        ("PUT", rf"{REVIEWS}/{R}/reply", "google", "reviews.reply", reviews.update_reply),
        ("DELETE", rf"{REVIEWS}/{R}/reply", "google", "reviews.delete_reply", reviews.delete_reply),
        (
            "GET",
            r"/v1/locations/(?P<location>[^/:]+):fetchMultiDailyMetricsTimeSeries",
            "google",
            "performance.fetch",
            performance.fetch_multi_daily_metrics,
        ),
        (
            "GET",
            rf"/v1/locations/{L}/searchkeywords/impressions/monthly",
            "google",
            "performance.keywords",
            performance.search_keywords_monthly,
        ),
        ("POST", r"/v1/messages", "anthropic", "messages", anthropic.messages),
        ("POST", r"/v1/messages/batches", "anthropic", "batches.create", anthropic_batches.create),
        ("GET", r"/v1/messages/batches", "anthropic", "batches.list", anthropic_batches.list_batches),
        ("GET", BATCH, "anthropic", "batches.get", anthropic_batches.retrieve),
        ("GET", rf"{BATCH}/results", "anthropic", "batches.results", anthropic_batches.results),
        ("POST", rf"{BATCH}/cancel", "anthropic", "batches.cancel", anthropic_batches.cancel),
        ("DELETE", BATCH, "anthropic", "batches.delete", anthropic_batches.delete),
        ("GET", r"/v1/models", "anthropic", "models", anthropic.list_models),
        ("GET", r"/v1/models/(?P<model_id>[^/]+)", "anthropic", "models", anthropic.get_model),
        ("GET", r"/", "page", "", pages.index),
        ("GET", rf"/_sandbox/locations/{L}", "page", "", pages.location_view),
        ("GET", r"/_sandbox/health", "control", "", control.health),
        ("POST", r"/_sandbox/reset", "control", "", control.reset),
        ("GET", r"/_sandbox/counters", "control", "", control.counters),
        ("GET", r"/_sandbox/quota/refusals", "control", "", control.quota_refusals),
        ("GET", r"/_sandbox/posts", "control", "", control.posts),
        ("POST", rf"/_sandbox/posts/{P}/state", "control", "", control.post_set_state),
        ("POST", rf"/_sandbox/posts/{P}/remove", "control", "", control.post_remove),
        ("POST", r"/_sandbox/posts/config", "control", "", control.posts_config),
        ("GET", r"/_sandbox/reviews", "control", "", control.reviews),
        ("POST", r"/_sandbox/reviews", "control", "", control.reviews_add),
        ("POST", r"/_sandbox/reviews/config", "control", "", control.reviews_config),
        ("POST", rf"/_sandbox/reviews/{R}/edit", "control", "", control.review_edit),
        ("POST", rf"/_sandbox/reviews/{R}/remove", "control", "", control.review_remove),
        ("POST", rf"/_sandbox/reviews/{R}/reply-state", "control", "", control.review_reply_state),
        ("POST", r"/_sandbox/media/config", "control", "", control.media_config),
        ("GET", r"/_sandbox/media/fetches", "control", "", control.media_fetches),
        ("POST", r"/_sandbox/faults", "control", "", control.add_fault),
        ("DELETE", r"/_sandbox/faults", "control", "", control.clear_faults),
        ("POST", r"/_sandbox/chaos", "control", "", control.chaos),
        ("POST", r"/_sandbox/latency", "control", "", control.latency),
        ("POST", r"/_sandbox/oauth/clients", "control", "", control.oauth_client),
        ("POST", r"/_sandbox/oauth/grant", "control", "", control.oauth_grant),
        ("POST", r"/_sandbox/oauth/revoke", "control", "", control.oauth_revoke),
        ("POST", r"/_sandbox/oauth/expire", "control", "", control.oauth_expire),
        ("POST", r"/_sandbox/oauth/config", "control", "", control.oauth_config),
        ("POST", r"/_sandbox/accounts", "control", "", control.add_account),
        ("POST", rf"/_sandbox/accounts/{A}/managers", "control", "", control.set_account_managers),
        ("POST", rf"/_sandbox/locations/{L}/disabled", "control", "", control.disable_location),
        ("POST", rf"/_sandbox/locations/{L}/rights", "control", "", control.location_rights),
        ("GET", r"/_sandbox/deprecations", "control", "", control.deprecations),
        ("POST", rf"/_sandbox/locations/{L}/post-days", "control", "", control.location_post_days),
        ("POST", rf"/_sandbox/locations/{L}/figures", "control", "", control.location_figure),
        ("POST", rf"/_sandbox/locations/{L}/past-posts", "control", "", control.location_past_post),
        ("GET", r"/_sandbox/performance/requests", "control", "", control.performance_requests),
        ("GET", r"/_sandbox/performance/keyword-requests", "control", "", control.keyword_requests),
        ("POST", r"/_sandbox/quota", "control", "", control.quota),
        ("POST", r"/_sandbox/anthropic/script", "control", "", control.anthropic_script),
        ("POST", r"/_sandbox/anthropic/config", "control", "", control.anthropic_config),
        ("GET", r"/_sandbox/anthropic/requests", "control", "", control.anthropic_requests),
        ("GET", r"/_sandbox/anthropic/usage", "control", "", control.anthropic_usage),
        ("POST", r"/_sandbox/anthropic/batches/config", "control", "", control.batch_config),
        ("POST", r"/_sandbox/anthropic/batches/outcomes", "control", "", control.batch_outcomes),
        ("POST", r"/_sandbox/anthropic/batches/expire", "control", "", control.batch_expire),
        ("POST", r"/_sandbox/anthropic/batches/finish", "control", "", control.batch_finish),
        ("POST", r"/_sandbox/anthropic/batches/forget", "control", "", control.batch_forget),
        ("GET", r"/_sandbox/anthropic/batches", "control", "", control.batches),
    ]
]


class _Drop(Exception):
    """Close the connection without answering (after optionally doing the work)."""


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real services; every answer has a length
    server_version = "GoogleAnthropicSandbox/1.0"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus delayed ACKs
        # add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        state = self.server.state
        body = self._read_body()  # read fully first, so a dropped connection is a clean FIN
        arrived = time.monotonic()
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        multi = parse_qs(url.query, keep_blank_values=True)
        query = {k: v[0] for k, v in multi.items()}
        req = Request(self.command, path, query, self.headers, body, f"http://{self.headers.get('Host', '')}", multi)
        route, params, allowed = _match(self.command, path)
        if route is None:
            status = 405 if allowed else 404
            self._send(
                json_response(
                    status,
                    {
                        "error": {
                            "code": status,
                            "message": f"No route for {self.command} {path}",
                            "status": "NOT_FOUND",
                        }
                    },
                )
            )
            return
        _, _, family, kind, handler = route
        req.arrived, req.kind = arrived, kind
        if kind:
            state.enter(kind)
        try:
            response = self._run(state, req, family, kind, handler, params)
        except _Drop:
            self._drop()
            return
        finally:
            if kind:
                state.leave(kind)
        if family == "anthropic":
            response.headers.setdefault("request-id", "req_sandbox_" + secrets.token_hex(12))
        if kind:
            state.count(kind, response.status)
        if self.command != "GET" and family != "page":
            state.save()  # before the answer: a caller that saw it may stop the sandbox at once
        self._send(response)

    def _run(
        self, state: State, req: Request, family: str, kind: str, handler: Handler, params: dict[str, str]
    ) -> Response:
        if kind:
            delay = latency_for(state, kind)
            if delay:
                time.sleep(delay)
            fault = take_fault(state, kind)
            if fault is not None:
                if fault.action == "hang":
                    if fault.after_commit:  # do the work, then withhold the answer
                        _call(handler, state, req, params)
                    state.count(kind, "hang")
                    # Hold the socket past the client's timeout, then close without answering.
                    self.server.stopping.wait(fault.seconds)
                    raise _Drop
                if fault.action == "drop":
                    if fault.after_commit:
                        _call(handler, state, req, params)
                    state.count(kind, "drop")
                    raise _Drop
                if fault.action == "garble":  # the work is done; the answer is not JSON
                    _call(handler, state, req, params)
                    state.count(kind, "garble")
                    return Response(200, b"<html><body>Temporarily unavailable</body></html>", "text/html")
                if fault.after_commit:  # e.g. a 500 from a backend that created the post anyway
                    _call(handler, state, req, params)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return json_response(fault.status, fault_body(family, fault), headers)
        return _call(handler, state, req, params)

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may already be gone
            self.connection.shutdown(socket.SHUT_RDWR)


def _match(method: str, path: str) -> tuple[Any, dict[str, str], bool]:
    allowed = False
    for route in ROUTES:
        m = route[1].match(path)
        if m:
            if route[0] == method:
                return route, m.groupdict(), True
            allowed = True
    return None, {}, allowed


def _call(handler: Handler, state: State, req: Request, params: dict[str, str]) -> Response:
    try:
        return handler(state, req, **params)
    except HTTPError as exc:
        return exc.response
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        # Control-API misuse (and malformed JSON anywhere) is a 400, never a crashed thread.
        return json_response(
            400, {"error": {"code": 400, "message": f"{type(exc).__name__}: {exc}", "status": "INVALID_ARGUMENT"}}
        )


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many benchmark processes connect at once

    def __init__(self, address: tuple[str, int], state: State, quiet: bool = True) -> None:
        super().__init__(address, SandboxHandler)
        self.state = state
        self.quiet = quiet
        self.stopping = threading.Event()


class Sandbox:
    """A running sandbox: `Sandbox().start()` serves on a free port in a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        state_file: str | None = None,
        seed: str = "demo",
        quiet: bool = True,
    ) -> None:
        self.state = State(state_file, seed)  # a saved state file wins over the seed
        self.httpd = SandboxHTTPServer((host, port), self.state, quiet=quiet)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,), name="sandbox-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.stopping.set()  # wake hanging handlers so shutdown is quick
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
