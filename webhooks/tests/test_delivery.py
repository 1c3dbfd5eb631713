"""deliver-webhooks: retries on Standard Webhooks' schedule, every event once by id after an
outage, one endpoint's failures kept from the others, "Send again" with the same id, the signature."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from gbp_scheduler.events import EventType, event_announce
from testkit.factories import make_franchise
from testkit.webhooks import WebhookReceiver
from webhooks.delivery import KEEP_DAYS, RETRY_SCHEDULE
from webhooks.models import Delivery, DeliveryAttempt, Subscription
from webhooks.services import delivery_send_again
from webhooks.signing import signature

from .helpers import deliver, subscribed

pytestmark = pytest.mark.django_db


def failed_posts(franchise, count: int) -> list[str]:
    """`count` post.failed events of the franchise, each in a transaction of its own; their ids."""
    ids = []
    for n in range(count):
        with transaction.atomic():
            event = event_announce(
                type=EventType.POST_FAILED,
                franchise_id=franchise.pk,
                data={"post_id": f"post-{n}", "summary": f"Post {n}", "error": "Google said no."},
            )
        ids.append(event.id)
    return ids


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed when the block ends: connecting is refused


def test_the_signature_is_standard_webhooks_own_example():
    # The example in the Standard Webhooks specification, with its published signature.
    assert (
        signature(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body=b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_receiver_down_for_an_hour_gets_every_event_afterwards_each_once_by_id(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    ids = failed_posts(franchise, 5)
    start = timezone.now()
    receiver.stop()  # connection refused
    with time_machine.travel(start, tick=False) as clock:
        for minute in range(0, 4 * 60, 5):  # a run every five minutes for four hours
            clock.move_to(start + dt.timedelta(minutes=minute))
            if minute == 30:
                receiver.start()  # back, but broken: 500
                receiver.answer = 500
            if minute == 60:
                receiver.answer = 204  # back for good after an hour
            deliver()
        assert sorted(receiver.ids) == sorted(ids)  # every event, each once
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    logs = [list(row.attempt_log.order_by("at").values_list("status_code", "error")) for row in Delivery.objects.all()]
    assert all(log[0][0] is None and "Could not connect" in log[0][1] for log in logs)  # refused at first
    assert all(log[-1] == (204, "") for log in logs)  # then delivered, once
    assert any((500, "The receiver answered HTTP 500; only 2xx counts as delivered.") in log for log in logs)


def test_a_delivery_is_given_up_after_about_a_day_of_retries(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    [event_id] = failed_posts(franchise, 1)
    receiver.answer = 503
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for waited in [0, *[sum(RETRY_SCHEDULE[: n + 1]) for n in range(len(RETRY_SCHEDULE))]]:
            clock.move_to(start + dt.timedelta(seconds=waited + 1))
            deliver()
    row = Delivery.objects.get(event_id=event_id)
    assert row.status == Delivery.Status.FAILED and row.attempts == len(RETRY_SCHEDULE) + 1
    assert row.last_error.startswith("Gave up: The receiver answered HTTP 503")
    assert 24 <= sum(RETRY_SCHEDULE) / 3600 <= 28  # "about a day"


def test_send_again_requeues_with_the_same_event_id(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    [event_id] = failed_posts(franchise, 1)
    deliver()
    delivery_send_again(delivery=Delivery.objects.get())
    assert deliver()["delivered"] == 1
    assert receiver.ids == [event_id, event_id]  # the receiver can tell it has it already


def test_one_endpoint_that_fails_does_not_keep_the_others_waiting(receiver):
    franchise = make_franchise()
    good = subscribed(receiver, franchise=franchise)
    broken = subscribed(WebhookReceiver(), franchise=franchise)  # never started
    broken.url = f"http://127.0.0.1:{closed_port()}/hooks"
    broken.save()
    ids = failed_posts(franchise, 3)

    counts = deliver()

    assert sorted(receiver.ids) == sorted(ids)
    assert counts["delivered"] == 3 and counts["retrying"] == 1 and counts["left_for_next_run"] == 2
    tried = Delivery.objects.filter(subscription=broken, attempts=1)
    assert tried.count() == 1 and Delivery.objects.filter(subscription=good, status="delivered").count() == 3


def test_a_run_out_of_time_leaves_the_rest_for_the_next_run(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    failed_posts(franchise, 3)
    assert deliver(seconds=0)["delivered"] == 0
    assert not Delivery.objects.filter(lease_until__isnull=False).exists()  # nothing held
    assert deliver()["delivered"] == 3


def test_a_switched_off_subscription_gets_nothing_new_and_its_waiting_deliveries_wait(receiver):
    franchise = make_franchise()
    subscription = subscribed(receiver, franchise=franchise)
    failed_posts(franchise, 1)
    subscription.enabled = False
    subscription.save()
    failed_posts(franchise, 1)
    assert Delivery.objects.count() == 1 and deliver()["delivered"] == 0
    subscription.enabled = True
    subscription.save()
    assert deliver()["delivered"] == 1


def test_a_redirect_is_not_followed_and_not_a_delivery(receiver):
    franchise = make_franchise()
    subscribed(receiver, franchise=franchise)
    failed_posts(franchise, 1)
    receiver.answer = 307
    assert deliver()["retrying"] == 1
    assert Delivery.objects.get().last_status_code == 307


def test_finished_deliveries_leave_the_log_after_thirty_days_and_waiting_ones_stay(receiver):
    franchise = make_franchise()
    subscription = subscribed(receiver, franchise=franchise)
    failed_posts(franchise, 2)
    deliver()
    failed_posts(franchise, 1)
    Subscription.objects.filter(pk=subscription.pk).update(enabled=False)  # the third waits, unsent
    Delivery.objects.update(created_at=timezone.now() - dt.timedelta(days=KEEP_DAYS, minutes=1))

    assert deliver()["pruned"] == 2
    assert list(Delivery.objects.values_list("status", flat=True)) == [Delivery.Status.PENDING]
    assert not DeliveryAttempt.objects.exists()
