"""The SSRF guard: webhooks go to public addresses only, checked when a subscription is saved and
again at each delivery, unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES (the tests' and `make run`'s)."""

from __future__ import annotations

import socket

import pytest
from django.db import transaction

from gbp_scheduler.events import EventType, event_announce
from testkit.factories import make_franchise
from webhooks.addresses import AddressRefused, address_is_public, url_address
from webhooks.models import Delivery
from webhooks.services import SubscriptionError, subscription_create

from .helpers import deliver, subscribed

REFUSED = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "127.8.8.8",
    "0.0.0.0",
    "169.254.169.254",  # a cloud's metadata service
    "100.64.0.1",  # shared (carrier-grade NAT)
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
]


@pytest.fixture
def guarded(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False


class Dns:
    """Names resolved as a DNS server would answer them here (the resolver is the boundary)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []  # the names looked up, in order

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host.replace(".", "").isdigit():  # an IPv4 literal: no lookup
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in self.answers[host]
        ]


@pytest.fixture
def dns(monkeypatch) -> Dns:
    resolver = Dns()
    monkeypatch.setattr(socket, "getaddrinfo", resolver.getaddrinfo)
    return resolver


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_and_reserved_addresses_are_refused(address):
    assert not address_is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert address_is_public(address)


def test_a_literal_private_address_in_the_url_is_refused(guarded):
    for url in ["https://127.0.0.1/hook", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://10.0.0.7/"]:
        with pytest.raises(AddressRefused, match="private or reserved"):
            url_address(url)


def test_a_host_name_leading_to_a_private_address_is_refused(guarded, dns):
    dns.answers["hooks.example.com"] = ["93.184.215.14"]
    dns.answers["inside.example.com"] = ["93.184.215.14", "10.0.0.5"]  # any one private address is enough
    dns.answers["metadata.example.com"] = ["169.254.169.254"]
    dns.answers["six.example.com"] = ["::ffff:127.0.0.1"]
    assert url_address("https://hooks.example.com/in") == "93.184.215.14"
    for host in ["inside", "metadata", "six"]:
        with pytest.raises(AddressRefused, match="private or reserved"):
            url_address(f"https://{host}.example.com/in")
    with pytest.raises(AddressRefused, match="could not be found"):
        url_address("https://nowhere.example.com/in")


def test_localhost_is_refused_by_name(guarded):
    with pytest.raises(AddressRefused, match="private or reserved"):
        url_address("https://localhost:8443/hook")


def test_plain_http_is_refused_unless_private_addresses_are_allowed(guarded, settings):
    with pytest.raises(AddressRefused, match="https://"):
        url_address("http://93.184.215.14/hook")
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert url_address("http://127.0.0.1:9/hook") == "127.0.0.1"


@pytest.mark.django_db
def test_a_subscription_to_a_private_address_is_not_saved(guarded):
    with pytest.raises(SubscriptionError, match="private or reserved"):
        subscription_create(user=None, url="https://192.168.0.10/hook", event_types=[EventType.POST_FAILED])


@pytest.mark.django_db
def test_a_host_that_turns_private_after_subscribing_gets_nothing(receiver, settings, dns):
    """DNS rebinding: the name was public when saved; at delivery it leads inside and is refused."""
    franchise = make_franchise()
    subscription = subscribed(receiver, franchise=franchise)
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    dns.answers["hooks.example.com"] = ["93.184.215.14"]
    subscription.url = f"https://hooks.example.com:{receiver.port}/hooks"
    subscription.save()
    dns.answers["hooks.example.com"] = ["127.0.0.1"]
    with transaction.atomic():
        event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=franchise.pk, data={"reason": "r"})

    assert deliver()["retrying"] == 1
    assert receiver.events == [] and receiver.refused == []  # nothing reached it
    assert "private or reserved" in Delivery.objects.get().last_error


@pytest.mark.django_db
def test_a_delivery_connects_to_the_address_it_checked_without_a_second_lookup(receiver, dns):
    franchise = make_franchise()
    subscription = subscribed(receiver, franchise=franchise)
    dns.answers["hooks.example.com"] = ["127.0.0.1"]
    subscription.url = f"http://hooks.example.com:{receiver.port}/hooks"
    subscription.save()
    dns.asked.clear()
    with transaction.atomic():
        event_announce(type=EventType.GOOGLE_ACCESS_BROKEN, franchise_id=franchise.pk, data={"reason": "r"})

    assert deliver()["delivered"] == 1 and len(receiver.events) == 1
    assert dns.asked == ["hooks.example.com"]  # the guard's lookup only: the client went to its answer


def test_the_deploy_check_refuses_private_addresses_being_allowed(settings):
    from django.core import checks

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    ids = [message.id for message in checks.run_checks(include_deployment_checks=True)]
    assert "webhooks.E001" in ids

    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    ids = [message.id for message in checks.run_checks(include_deployment_checks=True)]
    assert "webhooks.E001" not in ids
