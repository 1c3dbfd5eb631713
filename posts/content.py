"""A post's content, declared once: its types and its fields.

`FIELDS` lists every field of a post's content (the text, the type, an event's and an offer's
details, the button, the photo, the language), each with its column, its field in the editor, the
post types that carry it and its place in Google's LocalPost. From this list come:

- the Post model's content columns (`PostContent`, which Post inherits) and its type constraint;
- the editor's and the announcement form's fields, and the editor's per-type fieldsets (forms.py,
  templates/posts/post_form.html and announcement_form.html);
- what people may edit (`NAMES`, the services' EDITABLE_FIELDS), what a repeating post and an
  announcement share (`UPDATE_FIELDS`), and how an empty value is stored (`stored`);
- Google's body and update mask (gbp_mapping.py).

"Adding a post type" in docs/architecture.md says what else a new type needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db import models

from gbp_scheduler.times import validate_sane_datetime

from .form_fields import datetime_field, link_field, photo_field

SUMMARY_MAX_LENGTH = 1500  # Google rejects longer summaries.


def line_breaks_normalized(text: str) -> str:
    """A post's text with one kind of line break, as Google keeps it (a textarea sends CR LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def summary_length(text: str) -> int:
    """A post text's length as Google counts it against SUMMARY_MAX_LENGTH: in Unicode code points
    (Python's len), a line break once however the browser sent it.

    Google's APIs define "character" as a Unicode code point and measure and enforce string limits
    in them, not in UTF-8 bytes or UTF-16 units (AIP-210 "Unicode", Google's API design guidance:
    https://google.aip.dev/210); the LocalPost summary's 1,500 is such a limit. So an emoji outside
    the Basic Multilingual Plane is one character (a browser's String.length says 2), and a flag or
    a family emoji made of several code points is several. The editor's live counter
    (static/js/app.js) counts the same way, and so does the database's check (LENGTH() counts
    characters on PostgreSQL and SQLite).
    """
    return len(text.replace("\r\n", "\n"))


class PostTextField(forms.CharField):
    """The post's text with line breaks as Google keeps them, so the length counted here is the
    length Google counts."""

    def to_python(self, value):
        value = super().to_python(value)
        return line_breaks_normalized(value) if value else value


class TopicType(models.TextChoices):
    STANDARD = "STANDARD", "Update"
    EVENT = "EVENT", "Event"
    OFFER = "OFFER", "Offer"
    ALERT = "ALERT", "Alert"


# What Google's own interface offers, and so the editor: an ALERT post stays readable and
# editable as one, but no new post is made an alert.
TOPIC_TYPES_OFFERED = (TopicType.STANDARD, TopicType.EVENT, TopicType.OFFER)
TOPIC_CHOICES = [(value, label) for value, label in TopicType.choices if value in TOPIC_TYPES_OFFERED]
ALERT_NOTE = "Google no longer shows Alert as a post type: new posts are updates, events or offers."


class ActionType(models.TextChoices):
    NONE = "", "No button"
    BOOK = "BOOK", "Book"
    ORDER = "ORDER", "Order online"
    SHOP = "SHOP", "Buy"
    LEARN_MORE = "LEARN_MORE", "Learn more"
    SIGN_UP = "SIGN_UP", "Sign up"
    CALL = "CALL", "Call now"


@dataclass(frozen=True)
class Fieldset:
    """A group of the editor's fields shown only for the post types that carry them."""

    id: str  # the <fieldset>'s id is "<id>-fields"
    legend: str


@dataclass(frozen=True)
class ContentField:
    name: str
    column: models.Field  # the model field; each model gets a copy (`column`)
    form: Callable[[], forms.Field] | None  # its field in the editor; None: not typed there
    topics: tuple[TopicType, ...] = tuple(TopicType)  # the post types that carry it
    # Its place in Google's LocalPost, dotted ("offer.couponCode"). A date-time at "x.y.start"
    # goes as x.y.startDate and x.y.startTime; gbp_mapping.SHAPES shapes a few places' values.
    google: str = ""
    fieldset: Fieldset | None = None  # the editor's group, shown for `topics` only
    lock: str = ""  # the part of an announcement headquarters may lock it under (LOCKS); "": none


EVENTS_AND_OFFERS = (TopicType.EVENT, TopicType.OFFER)
EVENT_DETAILS = Fieldset("event", "Event or offer details (for events and offers)")
OFFER_DETAILS = Fieldset("offer", "Offer (for offers only)")
BUTTON = Fieldset("cta", "Button (not shown on offers)")

# In the editor's order; the text comes first (gbp_mapping.PATCH_MASK starts with it).
FIELDS = (
    ContentField(
        "summary",
        models.TextField(),
        lambda: PostTextField(
            label="Text",
            widget=forms.Textarea(attrs={"rows": 8, "id": "summary", "aria-describedby": "char-count"}),
            max_length=SUMMARY_MAX_LENGTH,
            strip=False,
        ),
        google="summary",
        lock="text",
    ),
    ContentField(
        "topic_type",
        models.CharField(max_length=10, choices=TopicType.choices, default=TopicType.STANDARD),
        lambda: forms.ChoiceField(label="Post type", choices=TOPIC_CHOICES, initial=TopicType.STANDARD),
        google="topicType",
        lock="type",
    ),
    ContentField(
        "event_title",
        models.CharField(max_length=200, blank=True, default=""),
        lambda: forms.CharField(label="Event or offer title", max_length=200, required=False),
        topics=EVENTS_AND_OFFERS,
        google="event.title",
        fieldset=EVENT_DETAILS,
        lock="type",
    ),
    ContentField(
        "event_start",
        models.DateTimeField(null=True, blank=True, validators=[validate_sane_datetime]),
        lambda: datetime_field("Starts"),
        topics=EVENTS_AND_OFFERS,
        google="event.schedule.start",
        fieldset=EVENT_DETAILS,
        lock="type",
    ),
    ContentField(
        "event_end",
        models.DateTimeField(null=True, blank=True, validators=[validate_sane_datetime]),
        lambda: datetime_field("Ends"),
        topics=EVENTS_AND_OFFERS,
        google="event.schedule.end",
        fieldset=EVENT_DETAILS,
        lock="type",
    ),
    ContentField(
        "offer_coupon_code",
        models.CharField(max_length=100, blank=True, default=""),
        lambda: forms.CharField(label="Coupon code", max_length=100, required=False),
        topics=(TopicType.OFFER,),
        google="offer.couponCode",
        fieldset=OFFER_DETAILS,
        lock="offer",
    ),
    ContentField(
        "offer_redeem_url",
        models.URLField(max_length=1000, blank=True, default=""),
        lambda: link_field("Redeem online at", "The redeem link"),
        topics=(TopicType.OFFER,),
        google="offer.redeemOnlineUrl",
        fieldset=OFFER_DETAILS,
        lock="offer",
    ),
    ContentField(
        "offer_terms",
        models.TextField(blank=True, default=""),
        lambda: forms.CharField(label="Terms and conditions", widget=forms.Textarea(attrs={"rows": 3}), required=False),
        topics=(TopicType.OFFER,),
        google="offer.termsConditions",
        fieldset=OFFER_DETAILS,
        lock="offer",
    ),
    # Google ignores a button on an offer (its redeem link is the offer's).
    ContentField(
        "cta_action_type",
        models.CharField(max_length=12, choices=ActionType.choices, blank=True, default=""),
        lambda: forms.ChoiceField(label="Button", choices=ActionType.choices, required=False),
        topics=(TopicType.STANDARD, TopicType.EVENT, TopicType.ALERT),
        google="callToAction.actionType",
        fieldset=BUTTON,
        lock="button",
    ),
    ContentField(
        "cta_url",
        models.URLField(max_length=1000, blank=True, default=""),
        lambda: link_field("Button link", "The button link", help_text="A public https link."),
        topics=(TopicType.STANDARD, TopicType.EVENT, TopicType.ALERT),
        google="callToAction.url",
        fieldset=BUTTON,
        lock="button",
    ),
    ContentField(
        "media_url",
        models.URLField(max_length=1000, blank=True, default=""),
        lambda: photo_field(
            help_text="Or paste a public https link to a JPG or PNG; Google fetches the photo from there."
        ),
        google="media",
        lock="photo",
    ),
    # Kept as created: the editor has no language picker.
    ContentField("language_code", models.CharField(max_length=16, default="en"), None, google="languageCode"),
)

# The parts of an announcement headquarters may lock (Announcement.locked), by key, as people read
# them: a franchise may adjust the others on its own post, never these (posts/locked_fields.py).
LOCKS = {
    "text": "Text",
    "photo": "Photo",
    "button": "Button",
    "offer": "Offer terms",
    "type": "Post type and event details",
}

# Date-times that make a span, whose end may not come before its start: the database refuses it
# even in a draft (Post's constraint posts_<span>_ends_after_start), and the forms say so first.
SPANS = {"event": ("event_start", "event_end")}

FIELD = {field.name: field for field in FIELDS}
NAMES = [field.name for field in FIELDS]  # every content field: what an edit may change
TYPED = [field.name for field in FIELDS if field.form is not None]  # what the editor shows
# The date-times (typed in the franchise's zone; kept in the years every layer reads back).
DATETIMES = [field.name for field in FIELDS if isinstance(field.column, models.DateTimeField)]
# The fields each lock holds.
LOCKED_BY = {key: [field.name for field in FIELDS if field.lock == key] for key in LOCKS}


def carries(topic_type: str, name: str) -> bool:
    """Whether a post of `topic_type` has the field `name` (Google reads it, the editor shows it)."""
    return topic_type in FIELD[name].topics


def carried_by(topic_type: str) -> list[ContentField]:
    return [field for field in FIELDS if topic_type in field.topics]


# What an update carries besides its type (a repeating post is one; an announcement shares these
# across its posts), and what only the other types add.
# What the brand rules read (posts/brand.py): the fields a person types words in, the links a post
# sends people to (not its photo's), and the terms an offer's required words go in.
WORDED = [
    field.name
    for field in FIELDS
    if field.form
    and isinstance(field.column, (models.CharField, models.TextField))
    and not field.column.choices
    and not isinstance(field.column, models.URLField)
]
LINKS = [field.name for field in FIELDS if isinstance(field.column, models.URLField) and field.google != "media"]
OFFER_TERMS = "offer_terms"

UPDATE_FIELDS = [name for name in TYPED if carries(TopicType.STANDARD, name) and name != "topic_type"]
BEYOND_UPDATE = [name for name in TYPED if not carries(TopicType.STANDARD, name)]
# The editor's per-type groups, in order.
FIELDSETS = list(dict.fromkeys(field.fieldset for field in FIELDS if field.fieldset))


def fieldset_fields(fieldset: Fieldset) -> list[ContentField]:
    return [field for field in FIELDS if field.fieldset == fieldset]


def column(name: str) -> models.Field:
    """A new copy of the column of `name`, for a model that keeps that field too."""
    return FIELD[name].column.clone()


def stored(name: str, value):
    """`value` of the field `name` as its column keeps "nothing": "" for text, None for a date."""
    return value if FIELD[name].column.null else (value or "")


def _content_model() -> type[models.Model]:
    attrs = {field.name: field.column.clone() for field in FIELDS}
    meta = type("Meta", (), {"abstract": True})
    aliases = {"TopicType": TopicType, "ActionType": ActionType, "ALERT_NOTE": ALERT_NOTE}
    return type("PostContent", (models.Model,), {"__module__": __name__, "Meta": meta, **aliases, **attrs})


# The content columns of Post, one per entry of FIELDS (an abstract model: no table of its own).
PostContent = _content_model()
