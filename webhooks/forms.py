"""The subscription form: the URL, the events, a note, and headquarters' choice of franchises."""

from __future__ import annotations

from django import forms

from franchises.models import Franchise
from franchises.picking import franchise_boxes
from gbp_scheduler.events import EventType

from .services import SubscriptionError, subscription_url_check


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="An https:// address on the internet; each event is POSTed there as JSON, signed.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(label="Note (optional)", max_length=200, required=False)

    def __init__(self, *args, headquarters: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if headquarters:
            self.fields["franchises"] = forms.ModelMultipleChoiceField(
                label="Franchises",
                queryset=Franchise.objects.none(),
                required=False,
                help_text="None chosen: every franchise, those added later too.",
            )
            franchise_boxes(self.fields["franchises"], Franchise.objects.order_by("name"))

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            subscription_url_check(url)
        except SubscriptionError as exc:
            raise forms.ValidationError(str(exc)) from None
        return url
