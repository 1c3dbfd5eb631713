"""A member of staff for the chaos suite: a process that edits, unschedules, reschedules and
deletes random posts through the same services the dashboard uses, until it is told to stop
(SIGTERM). It prints what it did as one JSON line. With --headquarters it acts as headquarters
instead: it sends announcements to a few franchises and edits or cancels them as one, and starts,
edits and ends repeating posts, their first occurrences due within the minute.

    python -m chaos.staff_actor --seed 5 [--headquarters]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections import Counter


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between actions")
    parser.add_argument("--headquarters", action="store_true", help="announcements and repeating posts")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gbp_scheduler.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from posts.models import Post
    from posts.services import (
        PostActionError,
        post_delete,
        post_schedule,
        post_unschedule,
        post_update,
    )

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    rng = random.Random(args.seed)
    done: Counter = Counter()
    if args.headquarters:
        return _headquarters(rng, args.pause, lambda: stopping, done)
    ids = list(Post.objects.values_list("pk", flat=True))
    while not stopping and ids:
        post = Post.objects.select_related("franchise").filter(pk=rng.choice(ids)).first()
        if post is None:
            continue
        action = rng.choices(["edit", "unschedule", "reschedule", "delete"], weights=[6, 2, 2, 1])[0]
        try:
            if action == "edit":
                stem = post.summary.split(":")[0]
                post_update(post=post, summary=f"{stem}: edited by staff, version {post.version + 1}.")
            elif action == "unschedule":
                post_unschedule(post=post)
            elif action == "reschedule":
                post_schedule(post=post, at=timezone.now())
            else:
                post_delete(post=post)
                ids.remove(post.pk)
            done[action] += 1
        except PostActionError:
            done["refused"] += 1  # being published right now, or not in a state for this action
        except Exception as exc:  # Google failing a PATCH or DELETE under chaos: nothing saved, say so
            done[f"google_error_{type(exc).__name__}"] += 1
        connection.close()
        time.sleep(args.pause)
    sys.stdout.write(json.dumps(dict(done)) + "\n")
    return 0


def _headquarters(rng: random.Random, pause: float, stopping, done: Counter) -> int:
    """Announcements and repeating posts, through the services the headquarters pages use."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from franchises.models import Franchise
    from posts.models import Announcement, PostSeries
    from posts.services import PostActionError, announcement_schedule
    from posts.services.announcements import announcement_cancel_all, announcement_edit_all
    from posts.services.series import series_create, series_end, series_rule_build, series_update

    user, _ = get_user_model().objects.get_or_create(username="chaos-headquarters", defaults={"is_superuser": True})
    franchises = list(Franchise.objects.filter(is_active=True))
    every_day = series_rule_build(frequency="weekly", weekdays=["MO", "TU", "WE", "TH", "FR", "SA", "SU"])
    while not stopping():
        soon = timezone.now() + dt.timedelta(seconds=rng.uniform(20, 60))  # due while the runners run
        action = rng.choice(["announce", "edit_all", "cancel_all", "series", "series_edit", "series_end"])
        n = sum(done.values())
        try:
            if action == "announce":
                announcement_schedule(
                    franchises=rng.sample(franchises, k=3),
                    template=f"Headquarters news {n} for {{name}}.",
                    date=soon.date(),
                    local_time=soon.time().replace(microsecond=0),
                    user=user,
                )
            elif action in ("edit_all", "cancel_all"):
                announcement = Announcement.objects.order_by("?").first()
                if announcement is None:
                    continue
                if action == "edit_all":
                    announcement_edit_all(
                        announcement=announcement, user=user, template=f"Headquarters news {n}, edited, for {{name}}."
                    )
                else:
                    announcement_cancel_all(announcement=announcement, user=user)
            elif action == "series":
                series_create(
                    franchise=rng.choice(franchises),
                    user=user,
                    rule=every_day,
                    starts_on=soon.date(),
                    local_time=soon.time().replace(microsecond=0),
                    summary=f"Daily special {n}.",
                )
            else:
                series = PostSeries.objects.filter(ended_at=None).order_by("?").first()
                if series is None:
                    continue
                if action == "series_edit":
                    series_update(
                        series=series,
                        user=user,
                        version=series.version,
                        rule=series.rule,
                        starts_on=series.starts_on,
                        local_time=series.local_time,
                        summary=f"Daily special {n}, edited.",
                    )
                else:
                    series_end(series=series, user=user)
            done[action] += 1
        except PostActionError:
            done["refused"] += 1
        except Exception as exc:  # Google failing a DELETE under chaos: say so
            done[f"google_error_{type(exc).__name__}"] += 1
        connection.close()
        time.sleep(pause * 10)
    sys.stdout.write(json.dumps(dict(done)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
