"""The SSRF guard: a webhook goes only to a public address on the internet.

A subscription's host is resolved and every address it names is checked, when it is saved and
again at each delivery (client.py then connects to the address checked here, so a DNS answer
that changes in between, "DNS rebinding", cannot send it inside). Refused: private, loopback,
link-local, multicast, reserved, shared (carrier-grade NAT) and unspecified addresses, IPv4 and
IPv6, an IPv4 address inside IPv6 (::ffff:127.0.0.1) judged as the IPv4 one. With
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (tests, `make run`) any address, and http://, is allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The URL may not receive webhooks; the message says why, for the person who typed it."""


def private_allowed() -> bool:
    return settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # a zone (fe80::1%eth0) is link-local anyway
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    forbidden = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )
    return not forbidden


def url_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL a webhook may go to; AddressRefused for one it may not."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if private_allowed() else ("https",)
    if scheme not in allowed:
        raise AddressRefused("The URL must start with https:// (webhooks are signed, not hidden: use TLS).")
    if not parts.hostname:
        raise AddressRefused("The URL has no host name.")
    if parts.username or parts.password:
        raise AddressRefused("Leave the user name and password out of the URL.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not a number between 1 and 65535.") from None
    return scheme, parts.hostname, port


def url_address(url: str) -> str:
    """The address to connect to for `url`: its host resolved, every address checked (the first
    returned). AddressRefused when the host is unknown or any of its addresses is not public."""
    _, host, port = url_parts(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"The host {host} could not be found (DNS): check the URL.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused(f"The host {host} has no address.")
    if not private_allowed():
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise AddressRefused(
                f"{host} leads to {refused[0]}, a private or reserved address: webhooks only go to public "
                "addresses on the internet."
            )
    return addresses[0]
