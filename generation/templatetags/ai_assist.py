"""`{% ai_assist_panel franchise post %}`: the editor's AI help buttons. The editor lives in posts,
which cannot import generation; its template loads this tag, and the buttons post to
generation's views."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

from generation.prompt import ASSIST_ACTIONS
from posts.models import Post

register = template.Library()


@register.inclusion_tag("generation/_assist.html")
def ai_assist_panel(franchise, post=None) -> dict:
    """Shown when Claude is configured and the post is not published yet; without a post (a new one,
    a repeating one: the template has none), through the franchise."""
    post = post or None
    if post is not None:
        url = reverse("generation:assist_post", args=[post.pk])
    else:
        url = reverse("generation:assist_franchise", args=[franchise.pk])
    available = bool(settings.ANTHROPIC_API_KEY) and (post is None or post.status != Post.Status.PUBLISHED)
    return {"available": available, "url": url, "actions": [(key, label) for key, (label, _) in ASSIST_ACTIONS.items()]}
