"""Form widgets that stay fast at group size.

Django renders each <option> of a <select> through its own template: a filter listing 1,000
franchises spent most of the posts list's time there (about 40 ms a request). LongSelect writes
the same markup in Python, in one pass, escaping with the standard library's html.escape (what
Django's escape calls, without its lazy-string wrapper), once over every text joined (20,000
calls took 40 ms at 10,000 franchises). PickerInput stands for a list too long to send at all.
"""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeData, SafeString, mark_safe


def _escape(value) -> str:
    """As Django's conditional_escape: markup already marked safe stays as it is."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


SEPARATOR = "\0"  # in no text the databases store (PostgreSQL refuses it), and html.escape keeps it


def _escape_each(values: list) -> list[str]:
    """_escape of each of `values`, in one html.escape over them joined."""
    texts = [str(value) for value in values]
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != len(texts) - 1 or any(isinstance(value, SafeData) for value in values):
        return [_escape(value) for value in values]
    return html.escape(joined).split(SEPARATOR) if texts else []


class LongSelect(forms.Select):
    """A single-choice <select> with flat choices (no groups), markup as forms.Select's; its
    choices kept as given (Django normalises each)."""

    @property
    def choices(self) -> list:
        return self._choices

    @choices.setter
    def choices(self, value) -> None:
        self._choices = list(value)

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        choices = list(self.choices)
        escaped = _escape_each([option_value for option_value, _ in choices] + [label for _, label in choices])
        options = "\n".join(
            f'<option value="{escaped[n]}"'
            f"{' selected' if str(option_value) in chosen else ''}>{escaped[len(choices) + n]}</option>"
            for n, (option_value, _label) in enumerate(choices)
        )
        return mark_safe(f'<select name="{_escape(name)}"{attributes}>\n{options}\n</select>')  # noqa: S308 (escaped above)


class LongCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes for many flat choices (no groups), markup as forms.CheckboxSelectMultiple's
    (a <div> per choice, the box inside its <label>, ids `<id>_<index>`), written in one pass."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        outer = self.build_attrs(self.attrs, attrs)
        base_id = outer.pop("id", "")
        inner = {key: item for key, item in outer.items() if key != "required"}
        options = []
        for index, (option_value, label) in enumerate(self.choices):
            box = dict(inner, id=f"{base_id}_{index}") if base_id else dict(inner)
            if str(option_value) in chosen:
                box["checked"] = True
            options.append(
                f"<div><label{flatatt({'for': box['id']}) if base_id else ''}>"
                f'<input type="checkbox" name="{_escape(name)}" value="{_escape(option_value)}"'
                f"{flatatt(box)}> {_escape(label)}</label></div>"
            )
        wrapper = flatatt({key: item for key, item in (("id", base_id), ("class", outer.get("class"))) if item})
        return mark_safe(f"<div{wrapper}>\n" + "\n".join(options) + "\n</div>")  # noqa: S308 (escaped above)


class PickerInput(forms.TextInput):
    """A text input for one id among more choices than a <select> should carry (a plain text field
    for the id without JavaScript). static/js/app.js turns it into a search box that asks `url`
    (`?q=` the text typed) for the first matching choices, as JSON ({"choices": [{"id", "label"}]}),
    and writes the picked one's id here. `label` names the chosen id; `empty` what a blank means."""

    def __init__(self, *, url: str, label: str = "", empty: str = "", attrs: dict | None = None):
        picker = {"data-picker-url": url, "data-picker-label": label, "data-picker-empty": empty}
        super().__init__(attrs={**(attrs or {}), **picker, "autocomplete": "off", "spellcheck": "false"})
