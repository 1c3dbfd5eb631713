"""Headquarters' brand rules and the one checker every way into the schedule asks.

`post_check` is what a post must pass before it is scheduled, and again before it is published:
Google's checks (gbp_mapping.post_problems_by_field) and the brand rules (BrandRules), each problem
next to the field it belongs to. The editor (as you type and on save), announcements (send and
edit all), repeating posts, the importer and the publish job all call it, and an approval step can
too: it takes a post (saved or not) and the rules, and says nothing about who may do what.

The UTM tag is not a problem to fix: the button's and the offer's links go to Google with it added
(brand_rules.py, applied where the LocalPost body is made), so what is stored stays as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import content
from .brand_rules import Rules, brand_rules_current
from .content import ActionType, TopicType
from .gbp_mapping import post_problems_by_field

if TYPE_CHECKING:
    from .models import Post

# The rules by name, as a person reads them in a message.
RULE_NAMES = {
    "google": "Google's rules",
    "banned": "Words not allowed",
    "terms": "Required in an offer's terms",
    "link_domains": "Allowed link domains",
    "photo": "Photo minimums",
}
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One thing that keeps a post off the schedule: which rule, which field, in words."""

    rule: str  # a key of RULE_NAMES
    field: str  # the content field it belongs next to
    message: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "rule_name": RULE_NAMES[self.rule], "field": self.field, "message": self.message}


# Each content field's name as the editor labels it ("the button link").
LABELS = {field.name: field.form().label.lower() for field in content.FIELDS if field.form}


def _label(field: str) -> str:
    return LABELS.get(field, field)


def _where(text: str, start: int) -> str:
    """Where in a text a match is, as a person finds it: the line, when there are several, and the character."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return f"line {line}, character {column}" if "\n" in text else f"character {start + 1}"


def _banned(post: Post, rules: Rules) -> list[Problem]:
    problems = []
    for field in content.WORDED:
        if not content.carries(post.topic_type or TopicType.STANDARD, field):
            continue
        text = getattr(post, field, "") or ""
        for phrase in rules.banned:
            match = re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.IGNORECASE)
            if match:
                problems.append(
                    Problem(
                        "banned",
                        field,
                        f'Brand rule "{RULE_NAMES["banned"]}": "{match.group(0)}" in the {_label(field)} '
                        f"({_where(text, match.start())}). Take it out or reword it.",
                    )
                )
    return problems


def _required_terms(post: Post, rules: Rules) -> list[Problem]:
    if post.topic_type != TopicType.OFFER:
        return []
    terms = (getattr(post, content.OFFER_TERMS) or "").lower()
    return [
        Problem(
            "terms",
            content.OFFER_TERMS,
            f'Brand rule "{RULE_NAMES["terms"]}": an offer\'s terms must include "{phrase}". Add it to the '
            "terms and conditions.",
        )
        for phrase in rules.required_terms
        if phrase.lower() not in terms
    ]


def _domain_allowed(url: str, rules: Rules) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == domain or host.endswith(f".{domain}") for domain in rules.link_domains)


def post_links(post: Post) -> list[tuple[str, str]]:
    """The links a post sends people to, as (field, url): its button's (unless "Call now"), its
    offer's, and any in its text."""
    topic = post.topic_type or TopicType.STANDARD
    links = [
        (name, getattr(post, name))
        for name in content.LINKS
        if content.carries(topic, name)
        and getattr(post, name)
        and not (name == "cta_url" and post.cta_action_type in ("", ActionType.CALL))
    ]
    links.extend(("summary", url) for url in URL_IN_TEXT.findall(post.summary or ""))
    return links


def _link_domains(post: Post, rules: Rules) -> list[Problem]:
    if not rules.link_domains:
        return []
    allowed = ", ".join(rules.link_domains)
    return [
        Problem(
            "link_domains",
            field,
            f'Brand rule "{RULE_NAMES["link_domains"]}": {url} in the {_label(field)} goes to '
            f"{urlsplit(url).hostname or 'no site'}; links may go to {allowed} only.",
        )
        for field, url in post_links(post)
        if not _domain_allowed(url, rules)
    ]


def _photo(post: Post, rules: Rules, photo_sizes: dict) -> list[Problem]:
    name = RULE_NAMES["photo"]
    if not post.media_url:
        if rules.photo_required:
            return [Problem("photo", "media_url", f'Brand rule "{name}": every post needs a photo. Add one.')]
        return []
    size = photo_sizes.get(post.media_url)
    if size is None or not rules.photo_minimum:
        return []  # a photo linked from elsewhere: its size is not known here
    width, height = size
    if width < rules.photo_min_width or height < rules.photo_min_height:
        return [
            Problem(
                "photo",
                "media_url",
                f'Brand rule "{name}": the photo is {width}x{height} pixels; photos must be at least '
                f"{rules.photo_min_width}x{rules.photo_min_height}. Upload a larger one.",
            )
        ]
    return []


def brand_problems(post: Post, rules: Rules, *, photo_sizes: dict | None = None) -> list[Problem]:
    """What breaks the brand rules in `post` (no query: `photo_sizes` maps uploaded photos' URLs
    to their (width, height))."""
    return [
        *_banned(post, rules),
        *_required_terms(post, rules),
        *_link_domains(post, rules),
        *_photo(post, rules, photo_sizes or {}),
    ]


def photo_sizes_of(urls) -> dict:
    """The (width, height) of the uploaded photos among `urls` (one query; none when there are none)."""
    from .models import PostPhoto

    urls = {url for url in urls if url}
    if not urls:
        return {}
    return {url: (w, h) for url, w, h in PostPhoto.objects.filter(url__in=urls).values_list("url", "width", "height")}


def post_check(post: Post, *, rules: Rules | None = None, photo_sizes: dict | None = None) -> list[Problem]:
    """Everything that keeps `post` off the schedule: Google's checks, then the brand rules.
    Pass `rules` (and `photo_sizes`) when checking many posts, to read them once."""
    rules = brand_rules_current() if rules is None else rules
    if photo_sizes is None:
        photo_sizes = photo_sizes_of([post.media_url]) if rules.photo_minimum else {}
    google = [Problem("google", field, message) for field, message in post_problems_by_field(post)]
    return [*google, *brand_problems(post, rules, photo_sizes=photo_sizes)]


def post_check_messages(post: Post, **kwargs) -> list[str]:
    """post_check's problems as the sentences a page or an error shows."""
    return [problem.message for problem in post_check(post, **kwargs)]
