"""How a post's state reads: the one vocabulary every page, email and JSON answer uses.

A post's stored `status` (draft, scheduled, published, failed) is not what a person needs to know:
a published post Google rejected is not on Google, a scheduled post of a franchise that must
reconnect will not go out, a draft whose time passed during a hold waits for someone. `post_state`
says what holds now, from the post and its franchise (franchises/holds.py for why a franchise's
posts wait):

| key | label | when |
|---|---|---|
| draft | Draft | a draft |
| approval | Waiting for approval | a post waiting for an approver (the detail says who must act) |
| missed | Missed its time | a draft whose time passed while its franchise was on hold |
| scheduled | Scheduled | will go out at its time |
| publishing | Publishing now | a publish run holds it |
| waiting | Waiting: <why> | its franchise is on hold (not connected, reconnect, no location, ...) |
| retrying | Waiting for Google | Google did not take it yet; tried again automatically |
| published | Published | on Google |
| rejected | Rejected by Google | Google's review took it off |
| removed | Removed from Google | gone from Google |
| failed | Failed | did not go out; the reason says what to do |
"""

from __future__ import annotations

from dataclasses import dataclass

from franchises.approval_policy import APPROVER_WORDS
from franchises.holds import franchise_hold
from gbp_scheduler.times import when_text

from .models import GOOGLE_REJECTED, GOOGLE_REMOVED, Post

# What Google taking a post off means and what to do (the history, the pages and the email).
GOOGLE_MEANING = {
    GOOGLE_REJECTED: (
        "Google's review rejected this post (it breaks Google's content policies for Business Profile posts), "
        "so customers do not see it."
    ),
    GOOGLE_REMOVED: (
        "This post is no longer on Google: someone who manages the Business Profile deleted it in Google's "
        "own interface, or Google took it down."
    ),
}
GOOGLE_WHAT_TO_DO = {
    GOOGLE_REJECTED: (
        "Edit it (look at the text, the links, a phone number in the text, the photo) and republish it, "
        "or dismiss this notice."
    ),
    GOOGLE_REMOVED: "Republish it if it should be on Google (edit it first if needed), or dismiss this notice.",
}
MISSED_WHAT_TO_DO = "Publish it now or pick a new time."
OFF_GOOGLE_KEYS = {GOOGLE_REJECTED: "rejected", GOOGLE_REMOVED: "removed"}  # Google's state: our key


@dataclass(frozen=True)
class PostState:
    key: str  # stable: data attributes, CSS, JSON
    label: str  # a badge's words
    tone: str  # the badge's colour: draft, scheduled, published, waiting, failed
    detail: str = ""  # why, and what to do, where the label alone does not say it
    hold: str = ""  # the franchise's hold (franchises/holds.py) when key is "waiting"


DRAFT = PostState("draft", "Draft", "draft")
SCHEDULED = PostState("scheduled", "Scheduled", "scheduled")
PUBLISHING = PostState("publishing", "Publishing now", "scheduled", "A publish run is sending it to Google.")
PUBLISHED = PostState("published", "Published", "published")
LABELS = {  # every key's label, for filters and JSON readers
    state.key: state.label for state in (DRAFT, SCHEDULED, PUBLISHING, PUBLISHED)
} | {
    "approval": "Waiting for approval",
    "missed": "Missed its time",
    "waiting": "Waiting",
    "retrying": "Waiting for Google",
    "rejected": "Rejected by Google",
    "removed": "Removed from Google",
    "failed": "Failed",
}


def post_state(post: Post) -> PostState:
    """What is true of `post` now, in the vocabulary above. Reads `post.franchise` (load it with
    the post: select_related or a prefetch)."""
    if post.status == Post.Status.DRAFT:
        if post.approval_waiting_for:
            return PostState("approval", LABELS["approval"], "waiting", approval_detail(post))
        if post.held_reason:
            return PostState("missed", LABELS["missed"], "waiting", f"{post.held_reason} {MISSED_WHAT_TO_DO}")
        return DRAFT
    if post.status == Post.Status.FAILED:
        return PostState("failed", LABELS["failed"], "failed", post.last_error)
    if post.status == Post.Status.PUBLISHED:
        if key := OFF_GOOGLE_KEYS.get(post.google_state):
            return PostState(key, LABELS[key], "failed", GOOGLE_MEANING[post.google_state])
        return PUBLISHED
    if post.is_locked:
        return PUBLISHING
    if hold := franchise_hold(post.franchise):
        return PostState("waiting", hold.label, "waiting", hold.detail, hold=hold.key)
    if post.last_error and post.next_attempt_at:
        retry = when_text(post.next_attempt_at, post.franchise)
        return PostState("retrying", LABELS["retrying"], "waiting", f"{post.last_error} Next try: {retry}.")
    return SCHEDULED


def approval_detail(post: Post) -> str:
    """Who must act on a post waiting for approval, and for when it is planned."""
    who = APPROVER_WORDS.get(post.approval_waiting_for, post.approval_waiting_for)
    when = f" It goes out at {when_text(post.scheduled_at, post.franchise)} once approved" if post.scheduled_at else ""
    return f"Waiting for {who} to approve it.{when}{'.' if when else ''}"
