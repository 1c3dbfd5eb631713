"""A webhook receiver for tests: a stdlib HTTP server on 127.0.0.1 that checks each request's
Standard Webhooks signature with the subscription's secret, as a subscriber's server would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time


class WebhookReceiver:
    """Keeps every verified event in `events` (webhook-id, payload) and every request whose
    signature did not verify in `refused`; answers `answer` (204) to verified ones. `stop()`
    closes the port (connection refused), `start()` opens it again on the same port."""

    def __init__(self) -> None:
        self.secret = ""
        self.answer = 204
        self.latency = 0.0  # seconds before each answer (a benchmark's slow receiver)
        self.events: list[tuple[str, dict]] = []
        self.refused: list[str] = []
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def ids(self) -> list[str]:
        with self._lock:
            return [event_id for event_id, _ in self.events]

    def of_type(self, event_type: str) -> list[dict]:
        with self._lock:
            return [payload for _, payload in self.events if payload["type"] == event_type]

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._take(self.headers, body)
                time.sleep(receiver.latency)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take(self, headers, body: bytes) -> int:
        event_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        if not signature_valid(self.secret, event_id, timestamp, body, headers.get("webhook-signature", "")):
            with self._lock:
                self.refused.append(event_id)
            return 401
        if self.answer // 100 == 2:
            with self._lock:
                self.events.append((event_id, json.loads(body)))
        return self.answer


def signature_valid(secret: str, event_id: str, timestamp: str, body: bytes, signatures: str) -> bool:
    """Standard Webhooks: v1 = base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), the
    timestamp within five minutes."""
    if not secret or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    return any(hmac.compare_digest(f"v1,{expected.decode()}", given) for given in signatures.split())
