"""Django's test client as a signed-in user, and what a response tells that user."""

from __future__ import annotations


def logged_in(client, user):
    """force_login: django-axes needs a request for client.login(), and these tests are not about login."""
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    """The Django messages a rendered response carries, as text."""
    return [str(message) for message in response.context["messages"]]
