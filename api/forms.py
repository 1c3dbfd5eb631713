"""The profile page's form that makes an API key."""

from __future__ import annotations

import datetime as dt

from django import forms

from franchises.models import Franchise
from franchises.picking import franchise_boxes
from franchises.selectors import franchises_for_user

from .models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="Where it is used, e.g. “Marketing calendar”.")
    scope = forms.ChoiceField(label="Access", choices=ApiKey.Scope.choices, widget=forms.RadioSelect, initial="read")
    all_franchises = forms.BooleanField(
        label="All the franchises I can see", required=False, initial=True, help_text="Or pick some below."
    )
    franchises = forms.ModelMultipleChoiceField(label="Franchises", queryset=Franchise.objects.none(), required=False)
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the key stops working at the start of that day (UTC).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        franchise_boxes(self.fields["franchises"], franchises_for_user(user=user).order_by("name"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_franchises") and not cleaned.get("franchises") and "franchises" not in self.errors:
            self.add_error("franchises", "Pick at least one franchise, or tick All the franchises I can see.")
        return cleaned

    def key_fields(self) -> dict:
        data = self.cleaned_data
        day = data.get("expires_on")
        return {
            "name": data["name"],
            "scope": data["scope"],
            "franchises": None if data.get("all_franchises") else list(data["franchises"]),
            "expires_at": dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None,
        }
