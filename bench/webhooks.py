"""Benchmark of webhooks: what announcing an event adds to the transaction of the change, and how
many events deliver-webhooks sends a second to a receiver that answers in --latency-ms.

    .venv/bin/python bench/webhooks.py --events 2000 --latency-ms 50 --runs 1,2,4
    DATABASE_URL=postgres://... .venv/bin/python bench/webhooks.py --events 2000 --latency-ms 50 --runs 1,2,4

It builds a throwaway database (a SQLite file, or `bench_<name>` beside DATABASE_URL's), one
franchise with --subscriptions webhooks to one local receiver (testkit/webhooks.py: it checks each
signature), announces --events post.failed events each in a transaction of its own (the time per
event is what the outbox adds to a publish's write-back), then for each count in --runs queues
them all again and starts that many deliver-webhooks runs at once (threads: PostgreSQL; on SQLite
try 1), until the outbox is empty. It prints the seconds and the events a second, and checks that
the receiver got each event once (overlapping runs must never send one twice).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from types import SimpleNamespace

from harness import database_drop, django_configure, summary_add, table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000, help="events announced (default 2000)")
    parser.add_argument("--subscriptions", type=int, default=1, help="webhooks taking each event (default 1)")
    parser.add_argument("--latency-ms", type=float, default=50, help="the receiver's time to answer (default 50)")
    parser.add_argument("--runs", default="1,2,4", help="overlapping runs to try, comma-separated (default 1,2,4)")
    parser.add_argument("--budget", type=float, default=240, help="seconds of each run's budget (default 240)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nowhere = SimpleNamespace(url="http://127.0.0.1:9")  # no Google or Anthropic call is made
        django_configure(tmp, nowhere, env={"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true"})
        from django.db import connection, transaction

        from gbp_scheduler import clock
        from gbp_scheduler.events import EventType, event_announce
        from gbp_scheduler.jobs import TimeBudget
        from testkit.factories import make_franchise
        from testkit.threads import together
        from testkit.webhooks import WebhookReceiver
        from webhooks.delivery import webhooks_deliver_due
        from webhooks.models import Delivery
        from webhooks.services import subscription_create

        receiver = WebhookReceiver().start()
        receiver.latency = args.latency_ms / 1000
        try:
            franchise = make_franchise(name="Bench Bakery")
            for _ in range(args.subscriptions):
                receiver.secret = subscription_create(
                    user=None, franchise=franchise, url=receiver.url, event_types=[EventType.POST_FAILED]
                ).secret
            if args.subscriptions > 1:  # one secret for the receiver to check: the same on each
                from webhooks.models import Subscription

                Subscription.objects.update(secret=receiver.secret)
            started = time.perf_counter()
            for n in range(args.events):
                with transaction.atomic():
                    event_announce(
                        type=EventType.POST_FAILED,
                        franchise_id=franchise.pk,
                        data={"post_id": f"p{n}", "summary": f"Post {n}", "error": "Google said no."},
                    )
            announce_ms = (time.perf_counter() - started) * 1000 / args.events
            rows = []
            expected = args.events * args.subscriptions
            for runs in [int(r) for r in args.runs.split(",")]:
                Delivery.objects.update(
                    status=Delivery.Status.PENDING, attempts=0, lease_until=None, next_attempt_at=clock.now()
                )
                receiver.events.clear()
                started = time.perf_counter()
                rounds = 0
                while Delivery.objects.filter(status=Delivery.Status.PENDING).exists() and rounds < 20:
                    rounds += 1
                    _results, errors = together(runs, lambda: webhooks_deliver_due(budget=TimeBudget(args.budget)))
                    assert not errors, errors
                seconds = time.perf_counter() - started
                ids = receiver.ids
                twice = len(ids) - len(set(ids))
                rows.append([runs, len(ids), twice, f"{seconds:.1f}", f"{len(ids) / seconds:.0f}"])
                assert len(set(ids)) == expected and not receiver.refused, (len(set(ids)), receiver.refused[:3])
        finally:
            receiver.stop()
            database_drop()

    setup = f"{args.events} events x {args.subscriptions} webhooks, receiver {args.latency_ms:g} ms"
    print(f"webhooks: {setup}, {connection.vendor}")
    print(f"announcing: {announce_ms:.2f} ms per event, its transaction included")
    print(table(["runs at once", "delivered", "twice", "seconds", "per second"], rows))
    summary_add("webhooks", f"announce ms per event ({setup})", f"{announce_ms:.2f}")
    for runs, _, _, _, rate in rows:
        summary_add("webhooks", f"deliveries per second, {runs} run(s) at once ({setup})", rate)


if __name__ == "__main__":
    main()
