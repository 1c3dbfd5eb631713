"""Who is asking: the client's address and https, believed from a header only when a trusted
proxy wrote it (TRUSTED_PROXY_COUNT, SECURE_PROXY_SSL_HEADER; their defaults: test_settings.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from gbp_scheduler.http import client_ip

PROXY = "10.0.0.2"


def _request(forwarded_for: str | None = None, remote: str = PROXY):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.66", remote="198.51.100.7")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "client"),
    [
        (1, "198.51.100.7", "198.51.100.7"),  # Vercel: the edge writes the one address it saw
        (1, "203.0.113.66, 198.51.100.7", "198.51.100.7"),  # a client's own entry on the left: ignored
        (1, "  198.51.100.7 ", "198.51.100.7"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "203.0.113.66, 198.51.100.7, 10.0.0.9", "198.51.100.7"),  # CDN then load balancer
        (1, "", PROXY),  # no header: the request did not come through the proxy
        (2, "198.51.100.7", PROXY),  # fewer entries than proxies: not through both
    ],
)
def test_behind_trusted_proxies_the_client_is_that_many_entries_from_the_right(
    settings, proxies, forwarded_for, client
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(forwarded_for)) == client


def test_without_a_trusted_proxy_a_forwarded_https_claim_is_not_believed(client, settings):
    """A plain server without a proxy: any client could send X-Forwarded-Proto: https."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")


def test_behind_a_proxy_that_says_https_the_request_is_secure(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
