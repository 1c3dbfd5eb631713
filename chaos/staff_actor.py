"""A member of staff for the chaos suite: a process that edits, unschedules, reschedules and
deletes random posts through the same services the dashboard uses, until it is told to stop
(SIGTERM). It prints what it did as one JSON line.

    python -m chaos.staff_actor --seed 5
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


if __name__ == "__main__":
    sys.exit(main())
