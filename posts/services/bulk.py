"""Many posts at once: the drafts queue's approve and reject, headquarters' "edit all" and "cancel
all" of an announcement, and the posts list's actions on the ticked posts.

Each post is changed as the one-post services of editing.py would change it alone (its checks, its
lock, its history), in a bounded number of queries where the count can be large: a post Google
cannot hold a copy of is written in bulk, fenced by row locks; any other goes one by one through
the one-post service, its careful path.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from franchises.selectors import user_is_headquarters
from gbp_scheduler import clock

from ..brand import brand_rules_current, photo_sizes_of, post_check_messages
from ..brand_rules import Rules
from ..locked_fields import announcement_locks, locked_message, locks_broken
from ..models import REJECTION_REASON_MARK, REJECTION_REASON_MAX_LENGTH, Post, PostEvent
from .approvals import approval_gate, approval_waiting_fields, approval_waiting_words
from .editing import (
    FIXED_AFTER_FAILURE,
    NO_LONGER_FAILED,
    RELATIONS,
    PostActionError,
    _changed_names,
    _clean_content,
    _edited_detail,
    _when,
    post_delete,
    post_schedule,
    post_unschedule,
    post_update,
)
from .history import post_event_build
from .locks import lock_free
from .photos import post_photo_release

# --- many at once (the drafts queue, the posts list) ----------------------------------------------


def posts_schedule_many(*, posts: list[Post], user: AbstractBaseUser | None = None) -> tuple[list[Post], dict]:
    """Approve many drafts at once, each at its own planned time (`scheduled_at`), in a constant
    number of queries: one conditional UPDATE and one INSERT of their history.

    Returns the posts scheduled, and why the others were not ({post id: reason}): no planned time,
    a time already past, what Google would reject, or not a free draft any more (changed or held
    by a publish run meanwhile)."""
    now = clock.now()
    refused: dict = {}
    ready = []
    rules = brand_rules_current()
    sizes = photo_sizes_of(post.media_url for post in posts) if rules.photo_minimum else {}
    for post in posts:
        if post.status != Post.Status.DRAFT:
            refused[post.pk] = "It is not a draft any more."
        elif post.scheduled_at is None:
            refused[post.pk] = "It has no planned time: pick one on its page."
        elif post.scheduled_at < now - dt.timedelta(minutes=1):
            refused[post.pk] = "Its planned time has passed: pick a new one on its page."
        elif problems := post_check_messages(post, rules=rules, photo_sizes=sizes):
            refused[post.pk] = " ".join(problems)
        else:
            ready.append(post)
    if not ready:
        return [], refused
    # Who must approve each (franchises/approval_policy.py), asked once per franchise: a post that
    # needs an approver waits for one instead of being scheduled.
    levels = _approval_levels(ready, user)
    with transaction.atomic():
        free = Post.objects.filter(lock_free(now), pk__in=[post.pk for post in ready], status=Post.Status.DRAFT)
        taken = set(free.select_for_update().values_list("pk", flat=True))
        for level in {levels[post.franchise_id] for post in ready} - {""}:
            asked = [post.pk for post in ready if post.pk in taken and levels[post.franchise_id] == level]
            Post.objects.filter(pk__in=asked).update(
                attempts=0,
                held_reason="",
                publishing_at=None,
                **approval_waiting_fields(level=level, user=user, now=now),
            )
            for post in ready:
                if post.pk in asked:
                    post.approval_waiting_for = level
        taken -= {post.pk for post in ready if post.approval_waiting_for}
        Post.objects.filter(pk__in=taken).update(
            status=Post.Status.SCHEDULED,
            attempts=0,
            next_attempt_at=None,
            last_error="",
            held_reason="",
            publishing_at=None,
        )
        scheduled = [post for post in ready if post.pk in taken]
        for post in scheduled:
            post.status = Post.Status.SCHEDULED
        PostEvent.objects.bulk_create(
            post_event_build(
                post=post, action=PostEvent.Action.SCHEDULED, user=user, detail=f"For {_when(post.scheduled_at, post)}."
            )
            if not post.approval_waiting_for
            else post_event_build(
                post=post,
                action=PostEvent.Action.APPROVAL_ASKED,
                user=user,
                detail=f"For {_when(post.scheduled_at, post)}. {approval_waiting_words(post.approval_waiting_for)}",
            )
            for post in scheduled + [post for post in ready if post.approval_waiting_for]
        )
    for post in ready:
        if post.approval_waiting_for:
            refused[post.pk] = f"Sent for approval instead. {approval_waiting_words(post.approval_waiting_for)}"
        elif post.pk not in taken:
            refused[post.pk] = "It changed meanwhile (or is being published): reload and try again."
    return scheduled, refused


def _approval_levels(posts: list[Post], user) -> dict:
    """Who must approve what `user` schedules, by franchise id (posts_schedule_many, posts_update_many)."""
    levels: dict = {}
    if user_is_headquarters(user):  # approves everything, without reading a franchise
        return {post.franchise_id: "" for post in posts}
    for post in posts:
        if post.franchise_id not in levels:
            levels[post.franchise_id] = approval_gate(franchise=post.franchise, user=user)
    return levels


def posts_reject_many(
    *, posts: list[Post], user: AbstractBaseUser | None = None, reason: str = ""
) -> tuple[list[tuple[Post, PostEvent]], dict]:
    """Reject many drafts at once, as post_reject does one: deleted, each with a REJECTED event
    keeping its excerpt and the reason (which the franchise's next AI drafts are told). A constant
    number of queries: the delete and one INSERT of their history (a photo only drafts of that
    photo used is released, one query per photo: AI drafts have none).

    A draft that may be on Google (an earlier create may have landed) is left to post_reject, one by
    one, which cleans Google up too. Returns each rejected post with its event, and why the others
    were not rejected."""
    now = clock.now()
    refused: dict = {}
    ready = []
    for post in posts:
        if post.status != Post.Status.DRAFT:
            refused[post.pk] = "Only a draft can be rejected; unschedule it first."
        elif post.google_post_name or post.google_create_sent_at:
            refused[post.pk] = "It may be on Google already: reject it from its own page."
        else:
            ready.append(post)
    reason = " ".join(reason.split())[:REJECTION_REASON_MAX_LENGTH]
    detail = "Draft rejected and deleted." + (f"{REJECTION_REASON_MARK}{reason}" if reason else "")
    with transaction.atomic():
        free = Post.objects.filter(
            lock_free(now),
            pk__in=[post.pk for post in ready],
            status=Post.Status.DRAFT,
            google_post_name="",
            google_create_sent_at__isnull=True,
        )
        taken = set(free.select_for_update().values_list("pk", flat=True))
        rejected = [post for post in ready if post.pk in taken]
        events = [
            post_event_build(post=post, action=PostEvent.Action.REJECTED, user=user, detail=detail, post_gone=True)
            for post in rejected
        ]
        Post.objects.filter(pk__in=taken).delete()
        PostEvent.objects.bulk_create(events)
    for url in {post.media_url for post in rejected if post.media_url}:
        post_photo_release(url=url)
    for post in ready:
        if post.pk not in taken:
            refused[post.pk] = "It changed meanwhile (or is being published): reload and try again."
    return list(zip(rejected, events, strict=True)), refused


# --- many posts' content at once, fenced (headquarters' "edit all" and "cancel all") ------------

# Posts written per transaction by posts_update_many and posts_delete_many: each batch costs a
# handful of queries, however many posts it holds, plus Django's own chunks: its delete removes
# rows 100 ids per DELETE, and on SQLite a bulk write is split into chunks of 999 parameters.
WRITE_BATCH_SIZE = 500

BUSY_REASON = "It is being published or was changed meanwhile: reload and try again."


def post_with_changes(post: Post, fields: dict) -> Post:
    """An unsaved copy of the post with `fields` set: what a change would make, to check first."""
    changed = copy.copy(post)
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def post_never_sent(post: Post) -> bool:
    """Whether Google cannot hold a copy of the post: not published, no copy named, and no create
    of it that may have landed (no outcome-unknown marker). Only such posts are changed in bulk."""
    return post.status != Post.Status.PUBLISHED and not post.google_post_name and post.google_create_sent_at is None


def _rows_locked(ids: list, *, now: dt.datetime, no_key: bool) -> dict:
    """The posts of `ids` that nobody holds (no publish lock, or a stale one), their rows locked
    for this transaction, by id. A row another transaction holds at this moment (a publish run
    claiming it, an editor saving it) is skipped, not waited for: it is busy. On SQLite
    select_for_update is nothing, and SQLite runs one writer at a time."""
    locked = Post.objects.select_for_update(skip_locked=True, no_key=no_key).filter(lock_free(now), pk__in=ids)
    return {row.pk: row for row in locked}


def posts_update_many(
    *,
    changes: list[tuple[Post, dict]],
    user: AbstractBaseUser | None = None,
    rules: Rules | None = None,
    by_announcement: bool = False,
) -> tuple[set, dict]:
    """Change many posts' content, each post as post_update would change it alone, in a bounded
    number of queries (a few per WRITE_BATCH_SIZE posts). `changes`: each post as read, with its
    new field values; `rules`: the brand rules already read (posts/brand_rules.py), else read once.

    The rule: a post **never sent to Google** (post_never_sent, both as read and as locked) is
    changed in bulk; every other post (one Google may hold a copy of: published, or a create that
    may have landed) goes through post_update one by one, its careful path. For a post never sent,
    post_update does nothing but check the fields and write them over the version it read where
    no live publish lock is held; a batch does the same for many:

    1. each post checked alone, as post_update does (its fields, and what Google would reject in
       a scheduled post), less the checks that cost a query per post and that an edit of content
       cannot break (the table's constraints, foreign keys and unique id, which the database
       keeps); one that fails is refused with the reason;
    2. in one transaction, the rows locked with SELECT ... FOR NO KEY UPDATE SKIP LOCKED where no
       live publish lock is held: a row locked by someone (a publish run claiming it), held by a
       live lock, gone, or whose version or status moved since it was read, is refused as busy
       and not changed; a row a create was sent for meanwhile goes the careful way (step 4);
    3. the rows written (the fields, version + 1, a stale lock cleared, a failed post a draft
       again, a series' occurrence marked edited by hand, as post_update does) and their history
       (EDITED, with post_update's detail) inserted, in bulk, while the rows are locked: a publish
       run claiming one of them waits for the commit and then reads the new content;
    4. the others one by one through post_update.

    A change to a part of an announcement headquarters locked is refused, as post_update refuses
    it, unless it is the announcement's own "edit all" (`by_announcement`).

    Returns the ids changed, and why the others were not ({post id: reason})."""
    edited: set = set()
    refused: dict = {}
    plain, careful = [], []
    locks = {} if by_announcement else announcement_locks(post.announcement_id for post, _ in changes)
    # A scheduled post whose editor needs an approver goes back for approval: post_update's way.
    levels = _approval_levels([post for post, _ in changes if post.status == Post.Status.SCHEDULED], user)
    for post, fields in changes:
        fields = _clean_content(fields)
        if broken := locks_broken(post, fields, locks.get(post.announcement_id)):
            refused[post.pk] = locked_message(broken)
            continue
        alone = not post_never_sent(post) or levels.get(post.franchise_id, "")
        (careful if alone else plain).append((post, fields))
    rules = brand_rules_current() if rules is None and plain else rules
    for start in range(0, len(plain), WRITE_BATCH_SIZE):
        batch = plain[start : start + WRITE_BATCH_SIZE]
        careful += _update_batch(batch, user=user, edited=edited, refused=refused, rules=rules)
    for post, fields in careful:
        try:
            post_update(post=post, user=user, by_announcement=by_announcement, **fields)
        except PostActionError as exc:
            refused[post.pk] = str(exc)
        except ValidationError as exc:
            refused[post.pk] = " ".join(exc.messages)
        else:
            edited.add(post.pk)
    return edited, refused


def _update_batch(batch: list[tuple[Post, dict]], *, user, edited: set, refused: dict, rules: Rules) -> list:
    """One transaction of posts_update_many; returns the posts left to the careful path."""
    checked = []
    sizes = (
        photo_sizes_of(fields.get("media_url", post.media_url) for post, fields in batch) if rules.photo_minimum else {}
    )
    for post, fields in batch:
        candidate = post_with_changes(post, fields)
        try:
            # As post_update checks, less what costs a query per post and cannot change here: the
            # table's constraints, its unique id and its foreign keys (none is edited) stay the
            # database's to hold.
            candidate.full_clean(exclude=RELATIONS, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            refused[post.pk] = " ".join(exc.messages)
            continue
        if post.status == Post.Status.SCHEDULED and (
            problems := post_check_messages(candidate, rules=rules, photo_sizes=sizes)
        ):
            refused[post.pk] = " ".join(problems)
            continue
        checked.append((post, fields))
    if not checked:
        return []
    careful, saved, events, released, failed, marked = [], [], [], set(), [], []
    now = clock.now()
    with transaction.atomic():
        rows = _rows_locked([post.pk for post, _ in checked], now=now, no_key=True)
        for post, fields in checked:
            row = rows.get(post.pk)
            if row is None or row.version != post.version or row.status != post.status:
                refused[post.pk] = BUSY_REASON
                continue
            if not post_never_sent(row):
                careful.append((post, fields))
                continue
            changed = _changed_names(row, fields)
            if "media_url" in changed and row.media_url:
                released.add(row.media_url)
            for name, value in fields.items():
                setattr(row, name, value)
            was_failed = row.status == Post.Status.FAILED
            if was_failed:
                failed.append(row.pk)
                for name, value in FIXED_AFTER_FAILURE.items():
                    setattr(row, name, value)
            if changed and row.series_id:
                marked.append(row.pk)
                row.series_edited = True
            row.version += 1
            row.updated_at = now
            row.publishing_at = None
            saved.append(row)
            if changed or was_failed:
                detail = _edited_detail(changed, NO_LONGER_FAILED if was_failed else "")
                events.append(post_event_build(post=row, action=PostEvent.Action.EDITED, user=user, detail=detail))
        _rows_write(
            saved, names=[name for _, fields in checked for name in fields], now=now, failed=failed, marked=marked
        )
        PostEvent.objects.bulk_create(events)
    edited.update(row.pk for row in saved)
    for url in released:
        post_photo_release(url=url)  # an uploaded photo nothing uses any more
    return careful


def _rows_write(rows: list[Post], *, names: list[str], now: dt.datetime, failed: list, marked: list) -> None:
    """Write the rows' new content as set on them (a field every row sets alike in one UPDATE with
    the version bump and the lock cleared, the others in one UPDATE ... CASE, bulk_update), make
    the `failed` ids drafts again and mark the `marked` ids edited by hand. The rows are locked
    by this transaction, so `version + 1` is the version read plus one."""
    if not rows:
        return
    same, varying = {}, []
    for name in dict.fromkeys(names):
        values = {getattr(row, name) for row in rows}
        if len(values) == 1:
            same[name] = values.pop()
        else:
            varying.append(name)
    Post.objects.filter(pk__in=[row.pk for row in rows]).update(
        version=F("version") + 1, updated_at=now, publishing_at=None, **same
    )
    if varying:
        Post.objects.bulk_update(rows, fields=varying)
    if failed:
        Post.objects.filter(pk__in=failed).update(**FIXED_AFTER_FAILURE)
    if marked:
        Post.objects.filter(pk__in=marked).update(series_edited=True)


def posts_delete_many(*, posts: list[Post], user: AbstractBaseUser | None = None) -> tuple[set, dict]:
    """Delete many posts not yet published, each as post_delete would alone (its DELETED history),
    in a bounded number of queries (a few per WRITE_BATCH_SIZE posts, and one per photo the
    posts leave unused).

    The rule, as for posts_update_many: a post **never sent to Google** (post_never_sent, as read
    and as locked) has no copy on Google to hand to `GoogleDeletion`, so post_delete would only
    delete its row where no live publish lock is held and record it; a batch does that for many,
    with the rows locked by SELECT ... FOR UPDATE SKIP LOCKED in one transaction (a row locked by
    someone, held by a live lock or gone is busy, not deleted; one published meanwhile is busy and
    stays). Any other post (a create of it may have landed) goes through post_delete one by one,
    which hands its copy to `GoogleDeletion` and tries Google at once. A post published as read is
    refused: published posts stay.

    Returns the ids deleted, and why the others were not ({post id: reason})."""
    deleted: set = set()
    refused: dict = {}
    plain, careful = [], []
    for post in posts:
        if post.status == Post.Status.PUBLISHED:
            refused[post.pk] = "It is published; it stays."
        else:
            (plain if post_never_sent(post) else careful).append(post)
    for start in range(0, len(plain), WRITE_BATCH_SIZE):
        careful += _delete_batch(plain[start : start + WRITE_BATCH_SIZE], user=user, deleted=deleted, refused=refused)
    for post in careful:
        try:
            post_delete(post=post, user=user)
        except PostActionError as exc:
            refused[post.pk] = str(exc)
        else:
            deleted.add(post.pk)
    return deleted, refused


def _delete_batch(batch: list[Post], *, user, deleted: set, refused: dict) -> list[Post]:
    """One transaction of posts_delete_many; returns the posts left to the careful path."""
    careful, gone = [], []
    with transaction.atomic():
        rows = _rows_locked([post.pk for post in batch], now=clock.now(), no_key=False)
        for post in batch:
            row = rows.get(post.pk)
            if row is None or row.status == Post.Status.PUBLISHED:
                refused[post.pk] = BUSY_REASON
            elif not post_never_sent(row):
                careful.append(post)
            else:
                gone.append(row)
        if gone:
            Post.objects.filter(pk__in=[row.pk for row in gone]).delete()
            PostEvent.objects.bulk_create(
                post_event_build(post=row, action=PostEvent.Action.DELETED, user=user, post_gone=True) for row in gone
            )
    deleted.update(row.pk for row in gone)
    for url in {row.media_url for row in gone if row.media_url}:
        post_photo_release(url=url)  # the stored photo goes with its last post
    return careful


# What the posts list does to many posts at once, each through the one-post service above.
MANY_ACTIONS = {
    "schedule": "Schedule at their own times",
    "unschedule": "Unschedule (back to draft)",
    "reschedule": "Move by",
    "delete": "Delete",
}


def posts_act_on_many(
    *,
    posts: list[Post],
    action: str,
    user: AbstractBaseUser | None = None,
    offset: dt.timedelta | None = None,
    may_delete=lambda post: True,
) -> tuple[int, dict]:
    """Apply one of MANY_ACTIONS to each post through the one-post services (post_schedule,
    post_unschedule, post_delete), so each is checked, locked and recorded as it would be alone.
    `offset` moves scheduled posts ("reschedule"); `may_delete(post)` says whether the user may
    delete that post. Returns how many were done, and why the others were not ({post id: reason})."""
    if action not in MANY_ACTIONS:
        raise ValueError(f"Unknown action: {action}")
    now = clock.now()
    done, refused = 0, {}
    for post in posts:
        try:
            if action == "schedule":
                if post.status == Post.Status.SCHEDULED:
                    raise PostActionError("It is scheduled already.")
                if post.scheduled_at is None or post.scheduled_at < now - dt.timedelta(minutes=1):
                    raise PostActionError("It has no time ahead: pick one on its page.")
                post_schedule(post=post, at=post.scheduled_at, user=user)
            elif action == "unschedule":
                post_unschedule(post=post, user=user)
            elif action == "reschedule":
                if post.status != Post.Status.SCHEDULED:
                    raise PostActionError("Only scheduled posts are moved.")
                at = post.scheduled_at + offset
                if at < now:
                    raise PostActionError("It would move into the past.")
                post_schedule(post=post, at=at, user=user)
            else:
                if not may_delete(post):
                    raise PostActionError("Only the franchise's admins can delete a post that is live on Google.")
                post_delete(post=post, user=user)
        except PostActionError as exc:
            refused[post.pk] = str(exc)
        else:
            done += 1
    return done, refused
