"""Users and memberships for the dashboard's view tests."""

from __future__ import annotations

from itertools import count

from django.contrib.auth import get_user_model

from franchises.models import Franchise, Membership

_seq = count(1)


def make_user(*, superuser: bool = False, **fields):
    fields.setdefault("username", f"user{next(_seq)}")
    User = get_user_model()
    if superuser:
        return User.objects.create_superuser(password=None, email="", **fields)
    return User.objects.create_user(password=None, **fields)


def make_member(franchise: Franchise, *, role: str = Membership.Role.STAFF, **fields):
    user = make_user(**fields)
    Membership.objects.create(user=user, franchise=franchise, role=role)
    return user


def logged_in(client, user):
    """force_login: django-axes needs a request for client.login(), and these tests are not about login."""
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    """The Django messages a rendered response carries, as text."""
    return [str(message) for message in response.context["messages"]]
