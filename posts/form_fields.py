"""The form fields a post's content is typed in, shared by the content spec (content.py) and the
forms (forms.py): dates, links and photos. Date-times are typed in the franchise's own zone (see
forms.py)."""

from __future__ import annotations

from django import forms

from gbp_scheduler.times import validate_sane_datetime

from .links import link_problem, photo_problem

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def datetime_field(label: str, *, required: bool = False, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=help_text,
        validators=[validate_sane_datetime],
    )


def _https_link(what: str):
    """A form validator: the link must be https (see links.link_problem)."""

    def validate(url: str) -> None:
        if problem := link_problem(url, what):
            raise forms.ValidationError(problem)

    return validate


def _photo_link(url: str) -> None:
    if problem := photo_problem(url):
        raise forms.ValidationError(problem)


def link_field(label: str, what: str, **kwargs) -> forms.URLField:
    return forms.URLField(
        label=label, max_length=1000, required=False, assume_scheme="https", validators=[_https_link(what)], **kwargs
    )


def photo_field(**kwargs) -> forms.URLField:
    return forms.URLField(
        label="Photo URL", max_length=1000, required=False, assume_scheme="https", validators=[_photo_link], **kwargs
    )
