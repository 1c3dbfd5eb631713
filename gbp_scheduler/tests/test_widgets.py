"""LongSelect and LongCheckboxes: the markup of Django's Select and CheckboxSelectMultiple
(options, the chosen ones, escaping, attributes), written in one pass instead of a template per
option."""

from __future__ import annotations

import re

from django import forms

from gbp_scheduler.widgets import LongCheckboxes, LongSelect

CHOICES = [("", "All franchises"), ("1", "Bean & Co"), ("2", "</option><script>x</script>")]


class _Form(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    long = forms.ChoiceField(choices=CHOICES, required=False, widget=LongSelect)
    needed = forms.ChoiceField(choices=CHOICES, widget=LongSelect)


def _tags(html: str) -> list[str]:
    """The elements and texts, whitespace between tags left out."""
    return [part for part in re.split(r"\s*(<[^>]+>)\s*", str(html)) if part]


def test_the_markup_is_djangos_select_with_the_same_options_and_choice():
    for data in ({}, {"plain": "2", "long": "2"}, {"plain": "1", "long": "1"}):
        form = _Form(data or None)
        plain, long = _tags(form["plain"].as_widget()), _tags(form["long"].as_widget())
        assert long == [tag.replace('name="plain" id="id_plain"', 'name="long" id="id_long"') for tag in plain]


def test_names_are_escaped_and_the_chosen_one_is_selected():
    html = str(_Form({"long": "2"})["long"].as_widget())
    assert '<option value="1">Bean &amp; Co</option>' in html
    assert '<option value="2" selected>&lt;/option&gt;&lt;script&gt;x&lt;/script&gt;</option>' in html
    assert "<script>" not in html and html.count(" selected") == 1


def test_the_fields_attributes_reach_the_element():
    form = _Form({"needed": ""})
    form.is_valid()
    html = str(form["needed"].as_widget())
    assert html.startswith('<select name="needed" ') and ' id="id_needed"' in html and " required" in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_needed_error"' in html


class _Boxes(forms.Form):
    plain = forms.MultipleChoiceField(choices=CHOICES[1:], widget=forms.CheckboxSelectMultiple)
    long = forms.MultipleChoiceField(choices=CHOICES[1:], widget=LongCheckboxes)


def test_the_checkboxes_are_djangos_with_the_same_boxes_ticks_and_errors():
    for data in (None, {"plain": ["2"], "long": ["2"]}, {"plain": ["1", "2"], "long": ["1", "2"]}, {"x": "1"}):
        form = _Boxes(data)
        form.is_valid()
        plain, long = _tags(form["plain"].as_widget()), _tags(form["long"].as_widget())
        assert long == [tag.replace("plain", "long") for tag in plain]
    html = str(_Boxes({"long": ["2"]})["long"].as_widget())
    assert "&lt;/option&gt;&lt;script&gt;" in html and "<script>" not in html and html.count(" checked") == 1


def test_names_holding_the_separator_or_marked_safe_are_escaped_each_as_before():
    from django.utils.safestring import mark_safe

    select = LongSelect(choices=[("1", "A\0<b>"), ("2", mark_safe("<i>safe</i>")), ("3", "x & y")])
    html = select.render("f", "3")
    assert '<option value="1">A\0&lt;b&gt;</option>' in html
    assert '<option value="2"><i>safe</i></option>' in html
    assert '<option value="3" selected>x &amp; y</option>' in html
