"""Team notes on a post: members comment on a post and mention each other (`@username`); each
person mentioned is emailed once per note (unless they turned mention emails off). Scoped like the
post: only people who can see it read or write its notes, and mentioning anyone who cannot see it
(or nobody of that name) is refused, naming them, with nothing saved."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from franchises.models import Membership
from franchises.recipients import mention_recipients
from franchises.selectors import user_is_headquarters

from ..models import Post, PostNote
from .editing import PostActionError

logger = logging.getLogger(__name__)

# "@name" where a username may hold letters, digits and @ . + - _ (Django's); not inside an email
# address ("a@b.com" mentions nobody). A trailing full stop or comma ends the sentence, not the name.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")


def user_can_see_post(*, user: AbstractBaseUser, post: Post) -> bool:
    """Headquarters, or a member of the post's franchise: who may read and write its notes."""
    if user_is_headquarters(user):
        return True
    return bool(user.is_active) and Membership.objects.filter(user=user, franchise_id=post.franchise_id).exists()


def mentions_in(text: str) -> list[str]:
    """The usernames mentioned in `text`, once each, in order."""
    return list(dict.fromkeys(match.rstrip(".,;:!?") for match in MENTION.findall(text)))


def _mentioned_users(names: list[str], post: Post) -> list:
    """The users named, each one able to see the post; otherwise PostActionError naming each who
    is unknown or cannot see it."""
    User = get_user_model()
    found = {user.get_username().lower(): user for user in User.objects.filter(username__in=names)}
    for name in names:  # a name typed in another case than it was registered in
        if name.lower() not in found and (user := User.objects.filter(username__iexact=name).first()):
            found[name.lower()] = user
    unknown = [f"@{name}" for name in names if name.lower() not in found]
    blind = [
        f"@{name}"
        for name in names
        if name.lower() in found and not user_can_see_post(user=found[name.lower()], post=post)
    ]
    problems = []
    if unknown:
        problems.append(f"Nobody is called {', '.join(unknown)}.")
    if blind:
        problems.append(
            f"{', '.join(blind)} cannot see this post (not a member of {post.franchise.name}), so cannot be mentioned."
        )
    if problems:
        raise PostActionError(" ".join(problems) + " Nothing was saved; change the mention and send again.")
    return list({user.pk: user for user in found.values()}.values())


def post_note_add(*, post: Post, user: AbstractBaseUser, text: str) -> PostNote:
    """Add `user`'s note to `post`.

    1. refuse someone who cannot see the post, an empty or too long note, and a mention of anyone
       unknown or who cannot see the post (naming them);
    2. save the note with the people it mentions;
    3. after the commit, email each person mentioned once (not the author; not one who turned
       mention emails off). A mail outage is logged: the note is saved and shown either way."""
    if not user_can_see_post(user=user, post=post):
        raise PostActionError("Only people who can see this post can write notes on it.")
    text = (text or "").strip()
    if not text:
        raise PostActionError("Write the note first.")
    if len(text) > PostNote.TEXT_MAX_LENGTH:
        raise PostActionError(f"Keep a note under {PostNote.TEXT_MAX_LENGTH:,} characters; it is {len(text):,}.")
    mentioned = _mentioned_users(mentions_in(text), post)
    with transaction.atomic():
        note = PostNote.objects.create(post=post, author=user, text=text)
        note.mentioned.set(mentioned)
    others = [person.pk for person in mentioned if person.pk != user.pk]
    if others:
        transaction.on_commit(lambda: _mentioned_tell(note, others))
    return note


def _mentioned_tell(note: PostNote, user_ids: list) -> None:
    post = note.post
    author = note.author.get_username() if note.author else "Someone"
    subject = f"{author} mentioned you in a note on a post of {post.franchise.name}"
    body = (
        f'{author} wrote on the post "{post.summary[:80]}":\n\n{note.text}\n\n'
        f"Read it and answer on the post's page:\n\n{settings.SITE_URL}{reverse('posts:detail', args=[post.pk])}\n"
    )
    try:
        for person in mention_recipients(user_ids=user_ids):
            send_mail(subject, body, None, [person.email])
    except Exception:
        logger.exception("Could not email the people mentioned in note %s", note.pk)
