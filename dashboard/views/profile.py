"""The signed-in user's profile: which emails they want (franchises/recipients.py reads it),
and their API keys (made and revoked by api/pages.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from api.forms import ApiKeyForm
from api.selectors import api_keys_of_user
from franchises.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["email_post_failures", "email_weekly_digest", "email_low_star_reviews", "email_mentions"]
        labels = {
            "email_post_failures": "Email me when a post fails to publish or Google takes it down",
            "email_weekly_digest": "Email me a weekly digest",
            "email_low_star_reviews": "Email me a new low-star review",
            "email_mentions": "Email me when someone mentions me in a note",
        }
        help_texts = {
            "email_post_failures": "For the franchises you administer: one email per post that failed to publish, "
            "or that Google's review rejected or someone removed from Google, with what to do and a link to it.",
            "email_weekly_digest": "On Monday morning, for each franchise you administer: drafts waiting, posts "
            "that failed and posts that went out.",
        }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = NotificationSettings.objects.filter(user=request.user).first() or NotificationSettings(user=request.user)
    form = NotificationSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Email settings saved.")
        return redirect("dashboard:profile")
    context = {
        "form": form,
        "api_keys": api_keys_of_user(user=request.user),
        "api_key_form": ApiKeyForm(user=request.user),
        "now": timezone.now(),
    }
    return render(request, "dashboard/profile.html", context)
