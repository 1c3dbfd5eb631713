"""What views share about the request itself: who is asking (the client's address behind the
trusted proxies), how much they may send (a bound on the body of endpoints that echo it), which
ids its query string may carry, and where a `next` may send the person back to."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, as the TRUSTED_PROXY_COUNT proxies in front
    of the app saw it.

    Each proxy appends the address it received the request from to X-Forwarded-For, so behind N
    trusted proxies the client's address is the N-th entry from the right; anything further left
    came from the client and proves nothing. With no trusted proxy (a plain server answering
    clients itself) the header is ignored and the socket's address is the client's. Vercel's edge
    replaces X-Forwarded-For with the one address it saw: one trusted proxy.

    django-ipware parses the header (IPv6, ports, junk entries). Its `proxy_count` counts the
    entries to the right of the client's in the header, which is one fewer than the proxies (the
    last proxy's own address is the socket's, not in the header); non-strict, so entries a client
    wrote on the left do not make the header unreadable.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        from ipware import get_client_ip  # only needed behind proxies; not loaded on every cold start

        address, _routable = get_client_ip(
            request, proxy_count=count - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
        )
        if address:
            return address
    # No header (a request that did not come through the proxies), or no trusted proxy at all.
    return request.META.get("REMOTE_ADDR", "")


# The most an htmx endpoint takes: the editor's whole form with a text at Google's limit is about
# 20 KB (1,500 characters of up to 4 UTF-8 bytes, percent-encoded three times over), so this leaves
# room and still answers a pasted novel with 413 instead of parsing it and sending it back.
HTMX_MAX_BODY_BYTES = 64 * 1024


def body_limit(max_bytes: int = HTMX_MAX_BODY_BYTES) -> Callable:
    """Answer 413 (before reading it) to a request whose body is over `max_bytes`: for endpoints
    that parse a form and send part of it back, as the editor's live preview does on every key
    press. The view is marked with `max_body_bytes` (a test checks every htmx endpoint has one)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > max_bytes:
                return HttpResponse(
                    f'<p class="callout error" id="body-too-large">That is too much to send at once '
                    f"({length:,} bytes; at most {max_bytes:,}). Shorten the text and try again.</p>",
                    status=413,
                )
            return view(request, *args, **kwargs)

        wrapped.max_body_bytes = max_bytes
        return wrapped

    return decorate


def is_uuid(value: str) -> bool:
    """Whether `value` reads as an object id (our primary keys are UUIDs)."""
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def id_parameters(*names: str) -> Callable:
    """For views that take object ids in the query string (`?from_post=<id>`): a value that is not
    an id answers 404, as a malformed id in the path does (that URL does not resolve). A
    well-formed id reaches the view, whose scoped lookup answers 404 for another tenant's object
    and for none at all. The view is marked with `id_parameters`: the test that sends junk in
    every parameter reads the mark, and fails on a view that reads an id without it."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            for name in names:
                value = request.GET.get(name, "")
                if value and not is_uuid(value):
                    raise Http404(f"{name} is not an id.")
            return view(request, *args, **kwargs)

        wrapped.id_parameters = names
        return wrapped

    return decorate


def safe_next(request: HttpRequest, target: str | None) -> str:
    """`target` when it is a page of this site to send the person back to, else "": a path only
    (never a scheme or another host), checked the way Django's login checks its `next`. A browser
    reads `/\\evil.example/` (what `/%5Cevil.example/` decodes to) as `//evil.example/`, and drops
    tabs and line breaks from a link, so those count as off-site too."""
    target = target or ""
    if not target.startswith("/") or any(char.isspace() or not char.isprintable() for char in target):
        return ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""
