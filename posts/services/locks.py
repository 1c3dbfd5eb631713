"""The publish lock (`posts.publishing_at`) and what every holder of it shares.

Whoever changes a post on Google holds its lock: a publish run creating it, an editor patching
it, the job patching, settling or removing it. The lock is taken with one conditional UPDATE;
every write made under it is fenced on the lock value, so a holder that lost the lock (it was
too slow, its lock went stale and someone else took the post) writes nothing.

A lock older than PUBLISH_LOCK_TIMEOUT_SECONDS is stale: its holder died or hangs. Anyone may take
a stale lock; to make that safe, a holder sends a mutating call to Google only in the first half
of the lock's life (`GoogleCallGuard`), and one call takes at most GOOGLE_HTTP_TIMEOUT_SECONDS,
which settings keep below half the timeout. So by the time a lock is stale, whatever its holder
sent has landed or failed, and the next holder's look at Google sees it. Lock times are the
database's (gbp_scheduler/clock.py): a process whose clock runs fast cannot find a live lock stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.sql import UpdateQuery

from franchises.google import business_profile
from franchises.google.quota import QuotaDeadline
from gbp_scheduler import clock

from ..models import Post, lock_stale_before


class Lost(Exception):
    """This holder no longer has the post's lock; it must write nothing more."""


# The run's time budget ends before the next request slot to Google (the shared quota refused
# to wait past the run's deadline): nothing was sent.
OutOfTime = QuotaDeadline


def lock_free(now: dt.datetime) -> Q:
    """Posts nobody holds: no lock, or a stale one."""
    return Q(publishing_at__isnull=True) | Q(publishing_at__lt=lock_stale_before(now))


def post_lock_take(*, post_id, now: dt.datetime | None = None, **conditions) -> dt.datetime | None:
    """Take the lock of a post that still matches `conditions`; the lock value, or None."""
    now = now or clock.now()
    taken = Post.objects.filter(lock_free(now), pk=post_id, **conditions).update(publishing_at=now)
    return now if taken == 1 else None


def post_write_fenced(*, post_id, lock: dt.datetime, **fields) -> None:
    """Write `fields` only while we still hold `lock`; raise Lost otherwise."""
    if Post.objects.filter(pk=post_id, publishing_at=lock).update(**fields) != 1:
        raise Lost


def post_update_returning(posts: QuerySet[Post], **fields) -> list[Post]:
    """`posts.update(**fields)` that also reads the rows it changed, whole, in the same statement
    (UPDATE … RETURNING: PostgreSQL, and SQLite since 3.35)."""
    if posts.query.is_empty():
        return []
    query = posts.query.chain(UpdateQuery)
    query.get_initial_alias()
    if query.count_active_tables() != 1:
        # Django would rewrite it to `id IN (SELECT …)`, which PostgreSQL does not check again
        # against a row another writer changed meanwhile: conditions must be on the row itself.
        raise ValueError("post_update_returning: filter with subqueries, not joins")
    query.add_update_values(fields)
    sql, params = query.get_compiler(posts.db).as_sql()
    quote = connections[posts.db].ops.quote_name
    columns = ", ".join(quote(field.column) for field in Post._meta.concrete_fields)
    return list(Post.objects.db_manager(posts.db).raw(f"{sql} RETURNING {columns}", params))


def post_lock_release(*, post_id, lock: dt.datetime, **fields) -> bool:
    """Let go of the lock (writing `fields` too); False when it was no longer ours."""
    return Post.objects.filter(pk=post_id, publishing_at=lock).update(publishing_at=None, **fields) == 1


@dataclass
class GoogleCallGuard:
    """What a lock holder passes to each call to Google: the run's deadline (no quota slot is
    waited for past it) and `before_send`, which refuses a mutating call once half the lock's
    life has gone (see the module docstring)."""

    lock: dt.datetime
    deadline: float | None = None

    def before_send(self) -> None:
        half_life = dt.timedelta(seconds=settings.PUBLISH_LOCK_TIMEOUT_SECONDS / 2)
        if clock.now() > self.lock + half_life:
            raise business_profile.GbpTransientError(
                "This attempt ran too long to change Google's copy safely; it will be retried."
            )
