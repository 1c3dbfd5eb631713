"""What people do to posts: create, edit, schedule, unschedule, retry, publish now, duplicate,
delete, reject, republish what Google rejected or removed, dismiss Google's notice about it. Each
action records itself in the post's history; `user` None means the system.

Every action is a concurrent actor beside the publish job, so each one:

- saves only over the version it read (`version`), and otherwise says the post was changed by
  someone else and shows the current version;
- leaves a post alone while someone holds its publish lock, but treats a stale lock (its holder
  died) as free, taking it over;
- keeps Google equal to the row: an edit of a published post takes the post's lock, patches
  Google, then saves (so two editors cannot leave Google and the database disagreeing); a delete
  removes the row and hands Google's copy to `GoogleDeletion` until Google confirms it is gone;
  an edit or unschedule of a post whose last create may have landed keeps the record of what was
  sent, so the next run finds that copy and makes it agree (`google_upkeep`).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from franchises.approval_policy import APPROVER_WORDS
from franchises.google import business_profile
from franchises.models import Franchise
from gbp_scheduler import clock
from gbp_scheduler.times import parse_rfc3339, validate_sane_datetime, when_text

from .. import content
from ..brand import post_check_messages
from ..gbp_mapping import local_post_body
from ..locked_fields import locked_message, locks_broken, post_locks
from ..models import (
    FRESH_START,
    GOOGLE_REMOVED,
    OFF_GOOGLE_STATES,
    REJECTION_REASON_MARK,
    REJECTION_REASON_MAX_LENGTH,
    GoogleDeletion,
    Post,
    PostCancellation,
    PostEvent,
)
from .approvals import (
    SentForApproval,
    approval_gate,
    approval_waiting_fields,
    approval_waiting_words,
    post_approval_level_for_edit,
    post_submit_for_approval,
)
from .errors import PostActionError, PostChangedError
from .google_copy import PATCH_MASK, LocationUnreachable, copy_gone
from .google_notices import post_google_problem_record, post_google_state_seen
from .google_upkeep import google_deletion_try
from .history import post_event_build, post_event_record
from .locks import GoogleCallGuard, Lost, lock_free, post_lock_release, post_lock_take, post_write_fenced
from .photos import post_photo_release
from .publishing import Result, post_publish
from .removal import google_deletion_of, post_row_remove

# A post's content, all of it (posts/content.py): what an edit may change.
EDITABLE_FIELDS = content.NAMES
LOCKED_MESSAGE = "This post is being published right now and cannot be changed. Try again in a minute."


def post_check_editable(*, post: Post) -> None:
    """Raise PostActionError (with the words to show) when the post cannot be changed now."""
    if post.is_locked:
        raise PostActionError(LOCKED_MESSAGE)


def _refused(post: Post) -> PostActionError:
    """Why a conditional write found nothing to change: locked, gone, or changed meanwhile."""
    current = Post.objects.select_related("franchise").filter(pk=post.pk).first()
    if current is None:
        return PostActionError("This post was deleted meanwhile.")
    if current.is_locked:
        return PostActionError(LOCKED_MESSAGE)
    return PostChangedError(current)


def _when(at: dt.datetime, post: Post) -> str:
    """A time as the history keeps it: in the franchise's zone, named (the text outlives the page)."""
    return when_text(at, post.franchise, named=True)


def _clean_content(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    if "summary" in fields:
        fields = {**fields, "summary": content.line_breaks_normalized(fields["summary"] or "")}
    return fields


# --- create ---------------------------------------------------------------------------------------


# The post's foreign keys: rows the database makes sure exist.
RELATIONS = [field.name for field in Post._meta.concrete_fields if field.is_relation]


def post_create(
    *,
    franchise: Franchise,
    user: AbstractBaseUser | None = None,
    status: str = Post.Status.DRAFT,
    source: str = Post.Source.MANUAL,
    scheduled_at: dt.datetime | None = None,
    history_detail: str = "",
    series=None,
    series_day: dt.date | None = None,
    series_text: int | None = None,
    validate_constraints: bool = True,
    **fields,
) -> Post:
    """A new post (a draft, or scheduled when `status` says so and Google would take it); with
    `series` and `series_day`, that series' occurrence on that local day (saved with its history
    in one transaction: a second occurrence of the same day is an IntegrityError, nothing saved).
    `validate_constraints=False` (the API's create) leaves to the database what it checks itself
    (post_build); when it refuses the row, the checks run then, so the error is the one the
    pages' path gives: the same ValidationError, by field."""
    post = post_build(
        franchise=franchise,
        user=user,
        status=status,
        source=source,
        scheduled_at=scheduled_at,
        validate_constraints=validate_constraints,
        **fields,
    )
    if series is not None:
        post.series, post.series_day, post.series_version = series, series_day, series.version
        post.series_text = series_text
    try:
        with transaction.atomic():
            post.save()
            _creation_event(post, user=user, history_detail=history_detail).save()
    except IntegrityError:
        if not validate_constraints:
            post.full_clean()  # raises what the database refused, as the checks would have named it
        raise
    return post


def post_build(
    *,
    franchise: Franchise,
    user: AbstractBaseUser | None = None,
    status: str = Post.Status.DRAFT,
    source: str = Post.Source.MANUAL,
    scheduled_at: dt.datetime | None = None,
    validate_constraints: bool = True,
    rules=None,
    photo_sizes: dict | None = None,
    approval_level: str | None = None,
    **fields,
) -> Post:
    """A new post checked and ready to save (post_create saves one; announcements save many at
    once). `validate_constraints=False` leaves to the database what it guarantees itself (its check
    constraints, the id's uniqueness, the foreign keys' rows): Django checks each with a query of
    its own, which a thousand-post announcement cannot afford (the field validators, Google's rules
    and the brand's are still checked here). Pass `rules` and
    `photo_sizes` (posts/brand.py) when building many, to read them once. A post asked to be
    scheduled by someone whose posts need approval waits for it instead (posts/services/
    approvals.py); `approval_level`, when the caller asked the gate already for its franchise."""
    post = Post(
        franchise=franchise,
        created_by=user,
        status=status,
        source=source,
        scheduled_at=scheduled_at,
        **_clean_content(fields),
    )
    if validate_constraints:
        post.full_clean()
    else:
        # The rows the foreign keys name exist (the caller holds them) and the id is a new UUID: a
        # query each for those and for every check constraint would only repeat the database.
        post.full_clean(validate_constraints=False, validate_unique=False, exclude=RELATIONS)
    if status == Post.Status.SCHEDULED:
        problems = post_check_messages(post, rules=rules, photo_sizes=photo_sizes)
        if problems:
            raise PostActionError(" ".join(problems))
        level = approval_gate(franchise=franchise, user=user) if approval_level is None else approval_level
        if level:
            for name, value in approval_waiting_fields(level=level, user=user, now=clock.now()).items():
                setattr(post, name, value)
    return post


def _creation_event(post: Post, *, user: AbstractBaseUser | None, history_detail: str) -> PostEvent:
    if post.approval_waiting_for:
        waiting = approval_waiting_words(post.approval_waiting_for)
        detail = f"{history_detail} For {_when(post.scheduled_at, post)}. {waiting}"
        return post_event_build(post=post, action=PostEvent.Action.APPROVAL_ASKED, user=user, detail=detail.strip())
    if post.status == Post.Status.SCHEDULED:
        detail = history_detail or f"For {_when(post.scheduled_at, post)}."
        return post_event_build(post=post, action=PostEvent.Action.SCHEDULED, user=user, detail=detail)
    return post_event_build(post=post, action=PostEvent.Action.CREATED, user=user, detail=history_detail)


def posts_create_many(*, posts: list[Post], user: AbstractBaseUser | None, history_detail: str) -> list[Post]:
    """Save posts made by post_build, with their history, in two INSERTs (one transaction)."""
    with transaction.atomic():
        Post.objects.bulk_create(posts)
        PostEvent.objects.bulk_create(_creation_event(post, user=user, history_detail=history_detail) for post in posts)
    return posts


# --- edit -----------------------------------------------------------------------------------------


# A failed post whose content is fixed is a draft again, without the old error (the history keeps
# it), until the person retries it (post_retry on a draft, or publish now).
FIXED_AFTER_FAILURE = {"status": Post.Status.DRAFT, "last_error": "", "attempts": 0, "next_attempt_at": None}
NO_LONGER_FAILED = " No longer failed: a draft again."


def _changed_names(post: Post, fields: dict) -> list[str]:
    """The fields whose new value differs from the post's, by name."""
    return sorted(name for name, value in fields.items() if getattr(post, name) != value)


def _edited_detail(changed: list[str], note: str = "") -> str:
    """The EDITED history line: the fields changed, by their labels, then `note`."""
    names = ", ".join(Post._meta.get_field(name).verbose_name for name in changed)
    return ((f"Changed: {names}." if changed else "") + note).strip()


def post_update(
    *,
    post: Post,
    user: AbstractBaseUser | None = None,
    version: int | None = None,
    series_version: int | None = None,
    series_text: int | None = None,
    by_announcement: bool = False,
    **fields,
) -> Post:
    """Change a post's content, over the version the person read (`version`, default the post's).

    A post of an announcement keeps the parts headquarters locked (posts/locked_fields.py): only
    the announcement's own "edit all" (`by_announcement`) changes them; anyone else is refused.

    A published post is changed on Google first, under its lock, then here; the others are
    changed here, and a run that publishes them later sends the new content. An occurrence of a
    series is marked edited by hand, unless its series is the one changing it (`series_version`:
    the series' new version, and `series_text`: which of its texts it now has)."""
    fields = _clean_content(fields)
    version = post.version if version is None else version
    edited = Post.objects.select_related("franchise").get(pk=post.pk) if post.pk else post
    if not by_announcement and edited.announcement_id and (broken := locks_broken(edited, fields, post_locks(edited))):
        raise PostActionError(locked_message(broken))
    changed = _changed_names(edited, fields)
    old_media_url = edited.media_url
    for name, value in fields.items():
        setattr(edited, name, value)
    edited.full_clean()
    if post.status in (Post.Status.SCHEDULED, Post.Status.PUBLISHED):
        problems = post_check_messages(edited)
        if problems:
            raise PostActionError(" ".join(problems))
    live = changed and post.status == Post.Status.PUBLISHED and edited.google_state not in OFF_GOOGLE_STATES
    if live and (level := approval_gate(franchise=edited.franchise, user=user)):
        raise PostActionError(
            f"This post is on Google, and {edited.franchise.name}'s posts are approved before they go out: "
            f"ask {APPROVER_WORDS[level]} to make this change, or duplicate it and change the copy."
        )
    now = clock.now()
    # Saved unchanged, an occurrence is not "edited by hand": the series may still change it.
    mark = _series_mark(post, series_version) if changed or series_version is not None else {}
    if series_version is not None and series_text is not None:
        mark["series_text"] = series_text
    saved_fields = {**fields, "version": F("version") + 1, "updated_at": now, **mark}
    if post.status == Post.Status.PUBLISHED and edited.google_state in OFF_GOOGLE_STATES:
        # Google rejected or removed it: there is no live copy to change. Saved here; a republish
        # puts this version on Google as a new post.
        saved = Post.objects.filter(
            lock_free(now), pk=post.pk, version=version, status=post.status, google_state__in=OFF_GOOGLE_STATES
        ).update(publishing_at=None, **saved_fields)
        if saved != 1:
            raise _refused(post)
        google = " Not on Google: republish it to put this version there."
    elif post.status == Post.Status.PUBLISHED:
        google = _published_update(post=post, edited=edited, version=version, saved_fields=saved_fields)
    else:
        if post.status == Post.Status.FAILED:
            saved_fields.update(FIXED_AFTER_FAILURE)
        # An approved post whose content (not only its time) changes waits for approval again.
        level = post_approval_level_for_edit(post=edited, user=user) if changed else ""
        if level:
            saved_fields.update(approval_waiting_fields(level=level, user=user, now=now))
        saved = Post.objects.filter(lock_free(now), pk=post.pk, version=version, status=post.status).update(
            publishing_at=None, **saved_fields
        )
        if saved != 1:
            raise _refused(post)
        google = NO_LONGER_FAILED if post.status == Post.Status.FAILED else ""
        if level:
            google = f" Sent back for approval: {approval_waiting_words(level).lower()}"
    if changed or google:
        post_event_record(
            post=edited, action=PostEvent.Action.EDITED, user=user, detail=_edited_detail(changed, google)
        )
    if "media_url" in changed:
        post_photo_release(url=old_media_url)  # an uploaded photo nothing uses any more
    return Post.objects.select_related("franchise").get(pk=post.pk)


def _published_update(*, post: Post, edited: Post, version: int, saved_fields: dict) -> str:
    """Patch Google, then save, both under the post's lock: one editor at a time per post."""
    lock = post_lock_take(post_id=post.pk, version=version, status=Post.Status.PUBLISHED)
    if lock is None:
        raise _refused(post)
    guard = GoogleCallGuard(lock)
    google: dict = {}
    try:
        if edited.google_post_name:
            google = business_profile.local_post_patch(
                franchise=edited.franchise,
                name=edited.google_post_name,
                body=local_post_body(edited),
                update_mask=PATCH_MASK,
                before_send=guard.before_send,
            )
    except business_profile.GbpNotFoundError:
        # Google no longer has the post (its owner deleted it there): the edit is saved here and
        # the post is marked REMOVED, to be republished. Unless the copy is on a location the
        # franchise has left and can no longer read: then nobody can tell, and nothing is saved.
        try:
            copy_gone(franchise=edited.franchise, name=edited.google_post_name, deadline=None)
        except (LocationUnreachable, business_profile.GbpError) as exc:
            post_lock_release(post_id=post.pk, lock=lock)
            raise PostActionError(f"Not saved: {exc}") from None
        try:
            post_write_fenced(
                post_id=post.pk,
                lock=lock,
                publishing_at=None,
                google_needs_update=False,
                google_state=GOOGLE_REMOVED,
                **saved_fields,
            )
        except Lost:
            raise PostActionError("Saving took too long and was abandoned; nothing changed. Try again.") from None
        post_google_problem_record(post_id=post.pk, state=GOOGLE_REMOVED)
        return " Google no longer has this post (it was removed there): republish it to put it back."
    except BaseException as exc:
        # Nothing saved. A patch that may have landed leaves Google ahead of the row: the next
        # run sets Google back to the row.
        maybe = isinstance(exc, business_profile.GbpTransientError) and exc.maybe_applied
        post_lock_release(post_id=post.pk, lock=lock, **({"google_needs_update": True} if maybe else {}))
        raise
    state = (google.get("state") or edited.google_state)[:20]
    try:
        post_write_fenced(
            post_id=post.pk,
            lock=lock,
            publishing_at=None,
            google_needs_update=False,
            google_state=state,
            google_search_url=(google.get("searchUrl") or edited.google_search_url)[:1000],
            google_update_time=parse_rfc3339(google.get("updateTime")) or edited.google_update_time,
            **saved_fields,
        )
    except Lost:
        # Too slow: the lock went stale and was released, so the next run sets Google back.
        raise PostActionError("Saving took too long and was abandoned; nothing changed. Try again.") from None
    # Google's answer to the edit may say its review rejected the post: told as the sync tells it.
    post_google_state_seen(post_id=post.pk, before=edited.google_state, after=state)
    return " Updated on Google too." if edited.google_post_name else ""


def _series_mark(post: Post, series_version: int | None) -> dict:
    """The fields that say who last changed a series' occurrence: the series (its version), or a
    person (edited by hand: the series' later edits leave it alone)."""
    if series_version is not None:
        return {"series_version": series_version}
    return {"series_edited": True} if post.series_id else {}


# --- schedule, unschedule, retry, publish now -------------------------------------------------------


def post_schedule(
    *,
    post: Post,
    at: dt.datetime,
    user: AbstractBaseUser | None = None,
    history: str | None = PostEvent.Action.SCHEDULED,
    series_version: int | None = None,
) -> Post:
    """Approve a draft (or move a scheduled or failed post) to go out at `at`.

    A marker of an earlier create that may have landed is kept: the publish attempt looks on
    Google first, so scheduling again never makes a second copy. A series' occurrence moved by a
    person is edited by hand (see post_update on `series_version`)."""
    post_check_editable(post=post)
    if post.status == Post.Status.PUBLISHED:
        raise PostActionError("This post is already on Google; duplicate it to post it again.")
    try:
        validate_sane_datetime(at)
    except ValidationError as exc:
        raise PostActionError(" ".join(exc.messages)) from None
    problems = post_check_messages(post)
    if problems:
        raise PostActionError(" ".join(problems))
    # A draft put on the schedule passes the approval gate; moving an approved (scheduled or
    # failed) post's time does not need approval again.
    if post.status == Post.Status.DRAFT and (level := approval_gate(franchise=post.franchise, user=user)):
        return post_submit_for_approval(post=post, at=at, level=level, user=user)
    error = post.last_error
    updated = Post.objects.filter(lock_free(clock.now()), pk=post.pk).exclude(status=Post.Status.PUBLISHED)
    count = updated.update(
        status=Post.Status.SCHEDULED,
        approval_waiting_for="",
        scheduled_at=at,
        **FRESH_START,
        **_series_mark(post, series_version),
    )
    if count != 1:
        raise PostActionError("This post changed while you worked on it; reload and try again.")
    post.refresh_from_db()
    if history == PostEvent.Action.RETRIED:
        detail = f"Scheduled again for {_when(at, post)}." + (f" Last error: {error}" if error else "")
        post_event_record(post=post, action=history, user=user, detail=detail)
    elif history:
        post_event_record(post=post, action=history, user=user, detail=f"For {_when(at, post)}.")
    return post


def post_move(*, post: Post, day: dt.date, user: AbstractBaseUser | None = None) -> Post:
    """Move a scheduled post to another day at the same local time (the calendar's drag and its
    Move page), through post_schedule. A day whose time has passed is refused."""
    if post.status != Post.Status.SCHEDULED or post.scheduled_at is None:
        raise PostActionError("Only a scheduled post can be moved; schedule it first.")
    zone = post.franchise.zone
    local = timezone.localtime(post.scheduled_at, zone)
    at = dt.datetime.combine(day, local.time(), tzinfo=zone)
    if at < clock.now():
        raise PostActionError("That time has passed; pick a day ahead.")
    if at == post.scheduled_at:
        return post
    return post_schedule(post=post, at=at, user=user)


def post_unschedule(*, post: Post, user: AbstractBaseUser | None = None) -> Post:
    post_check_editable(post=post)
    count = Post.objects.filter(lock_free(clock.now()), pk=post.pk, status=Post.Status.SCHEDULED).update(
        status=Post.Status.DRAFT, next_attempt_at=None, publishing_at=None, **_series_mark(post, None)
    )
    if count != 1:
        raise PostActionError("Only a scheduled post that is not being published can be unscheduled.")
    post.refresh_from_db()
    post_event_record(post=post, action=PostEvent.Action.UNSCHEDULED, user=user, detail="Back to draft.")
    return post


def post_retry(
    *, post: Post, user: AbstractBaseUser | None = None, at: dt.datetime | None = None, fixed: bool = False
) -> Post:
    """Schedule a failed post again, for the next publish run unless `at` says otherwise (see
    post_schedule on creates that may have landed). `fixed`: the post was failed and has just
    been edited (post_update made it a draft again), as the editor's "Save and retry" does."""
    allowed = (Post.Status.FAILED, Post.Status.DRAFT) if fixed else (Post.Status.FAILED,)
    if post.status not in allowed:
        raise PostActionError("Only a failed post can be retried.")
    return post_schedule(post=post, at=at or clock.now(), user=user, history=PostEvent.Action.RETRIED)


def _location_takes_posts_check(post: Post) -> None:
    """Google refuses posts of a location that cannot take them: say so instead of failing the post
    (scheduled ones wait for the location; franchises/google/rights.py)."""
    if reason := post.franchise.google_cannot_post_reason:
        raise PostActionError(reason)


def post_publish_now(*, post: Post, user: AbstractBaseUser | None = None) -> Result:
    """Schedule for now and publish in this request, through the same exactly-once path as the
    cron; the history names `user` as the one who published (or failed) it."""
    _location_takes_posts_check(post)
    post = post_schedule(post=post, at=clock.now(), user=user, history=None)
    if post.approval_waiting_for:
        raise SentForApproval(f"sent for approval instead. {approval_waiting_words(post.approval_waiting_for)}")
    return post_publish(post=post, actor=user)


def post_republish(*, post: Post, user: AbstractBaseUser | None = None) -> Result:
    """Put a post Google rejected or removed on Google again, as a new post, through the same
    exactly-once path as "Publish now" (the history names `user`).

    1. In one transaction, over a free lock: a rejected copy still on Google is handed to
       `GoogleDeletion` (so nothing stays on Google that no post owns), and the post becomes
       scheduled for now with nothing of Google's left on it (name, URL, state, notice).
    2. The rejected copy is deleted on Google now if it can be (else the next publish run does).
    3. The post is published like "Publish now": claimed, created once, written back fenced; a
       transient failure leaves it scheduled for the cron to retry."""
    post_check_editable(post=post)
    _location_takes_posts_check(post)
    problems = post_check_messages(post)
    if problems:
        raise PostActionError(" ".join(problems))
    if level := approval_gate(franchise=post.franchise, user=user):
        # Its text may have changed since Google took it off: it goes back only through an approver.
        raise PostActionError(f"Only an approver can republish it here. {approval_waiting_words(level)}")
    now = clock.now()
    with transaction.atomic():
        row = (
            Post.objects.select_for_update()
            .select_related("franchise")
            .filter(lock_free(now), pk=post.pk, status=Post.Status.PUBLISHED, google_state__in=OFF_GOOGLE_STATES)
            .first()
        )
        if row is None:
            current = Post.objects.filter(pk=post.pk).first()
            if current is not None and current.is_locked:
                raise PostActionError(LOCKED_MESSAGE)
            raise PostActionError("Only a post Google rejected or removed can be republished.")
        deletion = None
        if row.google_state != GOOGLE_REMOVED and row.google_post_name:
            deletion = google_deletion_of(row)
        Post.objects.filter(pk=row.pk).update(
            status=Post.Status.SCHEDULED,
            scheduled_at=now,
            published_at=None,
            publishing_at=None,
            google_post_name="",
            google_search_url="",
            google_state="",
            google_update_time=None,
            google_needs_update=False,
            google_notice_sent_at=None,
            google_notice_dismissed_at=None,
            attempts=0,
            next_attempt_at=None,
            last_error="",
        )
    what = "rejected" if row.google_state != GOOGLE_REMOVED else "removed"
    post_event_record(
        post=row, action=PostEvent.Action.REPUBLISHED, user=user, detail=f"It was {what} on Google; sent as a new post."
    )
    if deletion is not None:
        _google_deletion_now(deletion)
    return post_publish(post=Post.objects.select_related("franchise").get(pk=row.pk), actor=user)


def post_google_notice_dismiss(*, post: Post, user: AbstractBaseUser | None = None) -> Post:
    """Someone read the notice that Google rejected or removed the post and keeps it as it is:
    the notice leaves the pages (the post stays REJECTED or REMOVED and can still be republished)."""
    dismissed = Post.objects.filter(
        pk=post.pk,
        status=Post.Status.PUBLISHED,
        google_state__in=OFF_GOOGLE_STATES,
        google_notice_dismissed_at__isnull=True,
    ).update(google_notice_dismissed_at=clock.now())
    if dismissed != 1:
        raise PostActionError("There is no notice from Google to dismiss on this post.")
    post.refresh_from_db()
    what = "rejected" if post.google_state != GOOGLE_REMOVED else "removed"
    post_event_record(
        post=post, action=PostEvent.Action.NOTICE_DISMISSED, user=user, detail=f"Kept as {what} on Google."
    )
    return post


def post_duplicate(*, post: Post, user: AbstractBaseUser | None = None) -> Post:
    copy = post_create(
        franchise=post.franchise,
        user=user,
        history_detail="Duplicated from another post.",
        **{name: getattr(post, name) for name in EDITABLE_FIELDS},
    )
    post_event_record(post=post, action=PostEvent.Action.DUPLICATED, user=user, detail="Copied to a new draft.")
    return copy


# --- delete ---------------------------------------------------------------------------------------


def post_delete(
    *,
    post: Post,
    user: AbstractBaseUser | None = None,
    action: str = PostEvent.Action.DELETED,
    reason: str = "",
    note: str = "",
    google_now: bool = True,
) -> bool:
    """Delete the post here at once and its copy on Google (also one an earlier attempt may have
    created unseen), where that copy is. True when Google's side is done too; False when it is
    left to the next publish run (Google could not be reached, or not `google_now`). `reason` (a
    rejection's) and `note` go into the history."""
    removed = post_row_remove(post_id=post.pk)
    if removed is None:
        raise _refused(post)
    row, deletion = removed
    done = deletion is None or (google_now and _google_deletion_now(deletion))
    if action == PostEvent.Action.REJECTED:
        reason = " ".join(reason.split())[:REJECTION_REASON_MAX_LENGTH]
        detail = "Draft rejected and deleted." + (f"{REJECTION_REASON_MARK}{reason}" if reason else "")
    elif deletion is None:
        detail = ""
    elif done:
        detail = "Deleted on Google too."
    elif google_now:
        detail = "Google could not be reached; the next publish run removes it there."
    else:
        detail = "The next publish run removes it from Google."
    post_event_record(post=row, action=action, user=user, detail=f"{note} {detail}".strip(), post_gone=True)
    return done


def _google_deletion_now(deletion: GoogleDeletion) -> bool:
    if not deletion.franchise.is_connected or not deletion.franchise.google_auth_valid:
        return False
    return bool(google_deletion_try(item_id=deletion.pk))


def posts_cancel_when_free(*, ids) -> int:
    """Cancel posts that a publish attempt holds right now (an announcement's "cancel all", a
    series ended): the row remembers it, so the post is never published after that attempt, and
    the next publish run deletes it. An attempt that puts it on Google wins: published stays."""
    waiting = Post.objects.filter(pk__in=list(ids)).exclude(status=Post.Status.PUBLISHED).values_list("pk", flat=True)
    now = clock.now()
    made = PostCancellation.objects.bulk_create(
        [PostCancellation(post_id=pk, requested_at=now) for pk in waiting], ignore_conflicts=True
    )
    return len(made)


def post_reject(*, post: Post, user: AbstractBaseUser | None = None, reason: str = "") -> None:
    """Reject a draft (an AI draft under review): it is deleted; the history keeps its excerpt and
    the reason, if one was given, which the franchise's next AI drafts are told."""
    if post.status != Post.Status.DRAFT:
        raise PostActionError("Only a draft can be rejected; unschedule it first.")
    post_delete(post=post, user=user, action=PostEvent.Action.REJECTED, reason=reason)
