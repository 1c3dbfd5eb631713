"""The one module that sends webhooks over HTTP: one signed POST to a subscriber, to the address
the SSRF guard checked (addresses.py), with a short timeout and no redirects followed."""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from .addresses import AddressRefused, url_address, url_parts

USER_AGENT = "gbp-scheduler-webhooks/1"


class SendFailed(Exception):
    """No answer to judge: the address refused, the connection failed or timed out (in words)."""


@dataclass(frozen=True)
class Answer:
    status_code: int

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300


@functools.cache
def _tls() -> ssl.SSLContext:
    """The certificate store, read once per process: reading it costs more than a POST does."""
    return httpx.create_ssl_context()


def webhook_post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    try:
        scheme, host, port = url_parts(url)
        address = url_address(url)
    except AddressRefused as exc:
        raise SendFailed(str(exc)) from None
    parts = urlsplit(url)
    # To the checked address, naming the host in Host and in TLS (its certificate is checked against
    # the name): a second DNS lookup by the HTTP client could answer otherwise.
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    target = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    sent = {**headers, "host": parts.netloc, "user-agent": USER_AGENT}
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    try:
        # A client per POST: each goes to its own checked address, so there is no connection to share.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()) as client:
            response = client.post(target, content=body, headers=sent, extensions=extensions)
    except httpx.TimeoutException:
        raise SendFailed(f"No answer within {timeout:g} s.") from None
    except httpx.ConnectError as exc:
        raise SendFailed(f"Could not connect to {host}: {exc or 'refused'}.") from None
    except httpx.HTTPError as exc:
        raise SendFailed(f"The request failed: {type(exc).__name__}: {exc}.") from None
    return Answer(response.status_code)
