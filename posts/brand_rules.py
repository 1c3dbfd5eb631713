"""The group's brand rules as the checker reads them (posts/brand.py), and the UTM tag that the
rules may add to a post's links on their way to Google (gbp_mapping.local_post_body).

Only the button's and the offer's links are tagged: a link inside the text goes as typed, so the
text on Google stays the text we keep (the mirror compares them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.text import slugify

from . import content

if TYPE_CHECKING:
    from .models import BrandRules, Post

UTM = (("utm_source", "google"), ("utm_medium", "organic"))
CAMPAIGN_WORDS = 6


@dataclass(frozen=True)
class Rules:
    """The brand rules as the checker reads them (a BrandRules row, parsed once)."""

    banned: tuple[str, ...] = ()
    required_terms: tuple[str, ...] = ()
    link_domains: tuple[str, ...] = ()
    utm_tagging: bool = False
    photo_required: bool = False
    photo_min_width: int = 0
    photo_min_height: int = 0

    @classmethod
    def of(cls, row: BrandRules | None) -> Rules:
        if row is None:
            return cls()
        return cls(
            banned=_lines(row.banned_phrases),
            required_terms=_lines(row.offer_terms_required),
            link_domains=tuple(domain.lower().lstrip(".") for domain in _lines(row.link_domains)),
            utm_tagging=row.utm_tagging,
            photo_required=row.photo_required,
            photo_min_width=row.photo_min_width,
            photo_min_height=row.photo_min_height,
        )

    @property
    def photo_minimum(self) -> bool:
        return bool(self.photo_min_width or self.photo_min_height)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


# The rules a batch of the publish job read once for all its posts (brand_rules_held).
_HELD: ContextVar[Rules | None] = ContextVar("brand_rules_held", default=None)


def brand_rules_current() -> Rules:
    """The group's rules now (one query), or as read by the brand_rules_held block around us."""
    from .models import BrandRules

    held = _HELD.get()
    return held if held is not None else Rules.of(BrandRules.objects.filter(pk=BrandRules.GROUP).first())


@contextmanager
def brand_rules_held() -> Iterator[None]:
    """Within the block (and the workers started in its context) the rules are those read on
    entering it: a batch of posts checks and tags them with one read, not one a post."""
    token = _HELD.set(None)  # so that the read below is a fresh one, even inside another block
    _HELD.set(brand_rules_current())
    try:
        yield
    finally:
        _HELD.reset(token)


def campaign_slug(text: str) -> str:
    """An announcement's or repeating post's text as a utm_campaign value: its first words, placeholders left out."""
    words = re.sub(r"\{[^}]*\}", " ", text or "").split()
    return slugify(" ".join(words[:CAMPAIGN_WORDS]))[:50] or "post"


def post_campaign(post: Post) -> str:
    """The utm_campaign of a post's links: its announcement's, else its repeating post's, else "post"."""
    if post.announcement_id:
        return campaign_slug(post.announcement.summary)
    if post.series_id:
        series = post.series
        if series.announcement_id:
            from .models import Announcement

            announcement = Announcement.objects.filter(pk=series.announcement_id).first()
            if announcement is not None:
                return campaign_slug(announcement.summary)
        return campaign_slug(series.summary)
    return "post"


def link_tagged(url: str, campaign: str) -> str:
    """`url` with the brand's UTM tag (any utm_source, utm_medium or utm_campaign it had replaced)."""
    parts = urlsplit(url)
    tag = (*UTM, ("utm_campaign", campaign))
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in dict(tag)]
    return urlunsplit(parts._replace(query=urlencode([*kept, *tag])))


def body_links_tagged(post: Post, body: dict) -> dict:
    """A LocalPost body with the UTM tag on its button's and offer's links, when the rules ask for it."""
    places = [content.FIELD[name].google.split(".") for name in content.LINKS]
    links = [(key, leaf) for key, leaf in places if body.get(key, {}).get(leaf)]
    if not links or not brand_rules_current().utm_tagging:
        return body
    campaign = post_campaign(post)
    for key, leaf in links:
        body[key] = {**body[key], leaf: link_tagged(body[key][leaf], campaign)}
    return body
