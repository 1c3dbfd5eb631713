"""The form fields a post's content is typed in, shared by the content spec (content.py) and the
forms (forms.py). Date-times are typed in the franchise's own zone (see forms.py)."""

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


class PostTextField(forms.CharField):
    """The post's text with line breaks as Google keeps them (a textarea sends CR LF), so the
    length counted here is the length Google counts."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


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
