"""Benchmark of webhooks: what announcing an event adds to the transaction of the change, and how
many events deliver-webhooks sends a second to a receiver that answers in --latency-ms.

    .venv/bin/python bench/webhooks.py --events 2000 --latency-ms 50 --runs 1,2,4
    DATABASE_URL=postgres://... .venv/bin/python bench/webhooks.py --events 2000 --latency-ms 50 --runs 1,2,4

It builds a throwaway database (a SQLite file, or `bench_<name>` beside DATABASE_URL's), one
franchise with --subscriptions webhooks to one local receiver (testkit/webhooks.py: it checks each
signature), announces --events post.failed events each in a transaction of its own, then for each
count in --runs queues them all again and starts that many deliver-webhooks runs at once (threads:
PostgreSQL; on SQLite try 1), until the outbox is empty. It prints the seconds and the events a
second, and checks that the receiver got each event once (overlapping runs must never send one twice).

--announce history (the default) announces as a post's write-back does: a history entry keeping
the event, which deliver-webhooks fans out (each round of --runs starts from the kept events);
--announce signal as the other events go: `event_announce`, whose receiver writes the outbox rows.
The time per event is that transaction's, the history entry included.
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
    parser.add_argument("--announce", choices=("history", "signal"), default="history", help="how (default history)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        nowhere = SimpleNamespace(url="http://127.0.0.1:9")  # no Google or Anthropic call is made
        django_configure(tmp, nowhere, env={"WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true"})
        from django.db import connection, transaction

        from gbp_scheduler import clock
        from gbp_scheduler.events import EventType, event_announce, event_for_record
        from gbp_scheduler.jobs import TimeBudget
        from posts.models import PostEvent
        from posts.services.history import post_event_record
        from testkit.factories import make_franchise, make_post
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
            post = make_post(franchise=franchise)
            announce = event_for_record if args.announce == "history" else event_announce
            started = time.perf_counter()
            for n in range(args.events):
                with transaction.atomic():
                    event = announce(
                        type=EventType.POST_FAILED,
                        franchise_id=franchise.pk,
                        data={"post_id": f"p{n}", "summary": f"Post {n}", "error": "Google said no."},
                    )
                    if args.announce == "history":
                        post_event_record(post=post, action=PostEvent.Action.FAILED, announced=event)
            announce_ms = (time.perf_counter() - started) * 1000 / args.events
            kept = list(PostEvent.objects.filter(announced__isnull=False))
            rows = []
            expected = args.events * args.subscriptions
            for runs in [int(r) for r in args.runs.split(",")]:
                if kept:  # each round fans the kept events out again
                    Delivery.objects.all().delete()
                    PostEvent.objects.bulk_update(kept, ["announced"])
                Delivery.objects.update(
                    status=Delivery.Status.PENDING, attempts=0, lease_until=None, next_attempt_at=clock.now()
                )
                receiver.events.clear()
                started = time.perf_counter()
                rounds = 0
                while rounds < 20 and (
                    Delivery.objects.filter(status=Delivery.Status.PENDING).exists()
                    or PostEvent.objects.filter(announced__isnull=False).exists()
                ):
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

    setup = (
        f"{args.events} events x {args.subscriptions} webhooks, receiver {args.latency_ms:g} ms, "
        f"announced by {args.announce}"
    )
    print(f"webhooks: {setup}, {connection.vendor}")
    print(f"announcing: {announce_ms:.2f} ms per event, its transaction included")
    print(table(["runs at once", "delivered", "twice", "seconds", "per second"], rows))
    summary_add("webhooks", f"announce ms per event ({setup})", f"{announce_ms:.2f}")
    for runs, _, _, _, rate in rows:
        summary_add("webhooks", f"deliveries per second, {runs} run(s) at once ({setup})", rate)


if __name__ == "__main__":
    main()
