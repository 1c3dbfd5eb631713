"""Form widgets that stay fast at group size.

Django renders each <option> of a <select> through its own template: a filter listing 1,000
franchises spent most of the posts list's time there (about 40 ms a request). LongSelect writes
the same markup in Python, in one pass, escaping with the standard library's html.escape (what
Django's escape calls, without its lazy-string wrapper around each of a thousand calls).
"""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeData, SafeString, mark_safe


def _escape(value) -> str:
    """As Django's conditional_escape: markup already marked safe stays as it is."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


class LongSelect(forms.Select):
    """A single-choice <select> with flat choices (no groups), markup as forms.Select's."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        options = "\n".join(
            f'<option value="{_escape(option_value)}"'
            f"{' selected' if str(option_value) in chosen else ''}>{_escape(label)}</option>"
            for option_value, label in self.choices
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
