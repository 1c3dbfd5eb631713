"""The Django admin for posts: every write goes through the same services as the dashboard.

The publish lock, the outcome-unknown record, attempts and what Google returned are the
publish job's: read-only here. A change of content is an edit (patched on Google when the post
is published), a change of status is a schedule or an unschedule, a delete deletes on Google too;
and like the dashboard, the admin saves only over the version it loaded.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from .locked_fields import locked_names, post_locks
from .models import Announcement, BrandRules, GoogleDeletion, Post, PostSeries
from .services import (
    EDITABLE_FIELDS,
    post_create,
    post_delete,
    post_schedule,
    post_unschedule,
    post_update,
)
from .services.brand import RULE_FIELDS, brand_rules_save
from .views._common import ACTION_ERRORS

JOB_FIELDS = [
    "publishing_at",
    "published_at",
    "attempts",
    "next_attempt_at",
    "last_error",
    "google_create_sent_at",
    "google_sent_body",
    "google_needs_update",
    "google_post_name",
    "google_search_url",
    "google_state",
    "version",
    "created_by",
    "created_at",
    "updated_at",
]
# Status changes a person may make; publishing and failing are the job's.
ALLOWED_STATUS_CHANGES = {
    (Post.Status.DRAFT, Post.Status.SCHEDULED),
    (Post.Status.FAILED, Post.Status.SCHEDULED),
    (Post.Status.SCHEDULED, Post.Status.DRAFT),
}


class PostAdminForm(forms.ModelForm):
    # What the page showed when it was loaded: changes are judged against it, not against the
    # row as it is by the time the form comes back (the job may have published it meanwhile).
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    loaded_status = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Post
        fields = ["franchise", "status", "source", "scheduled_at", *EDITABLE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_status"].initial = self.instance.status
            self.fields["franchise"].disabled = True
            self.fields["source"].disabled = True
            # A post of an announcement: what headquarters locked is changed by its "edit all" only.
            for name in locked_names(post_locks(self.instance)):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Locked by headquarters for this announcement: change it with Edit all."

    def clean(self) -> dict:
        cleaned = super().clean()
        before = (cleaned.get("loaded_status") or self.instance.status) if self.instance.pk else Post.Status.DRAFT
        after = cleaned.get("status", before)
        if after != before and (before, after) not in ALLOWED_STATUS_CHANGES:
            self.add_error(
                "status",
                f"A post cannot go from {before} to {after} here: the publish job publishes and fails posts. "
                "Schedule a draft or failed post, or unschedule a scheduled one.",
            )
        if after == Post.Status.SCHEDULED and not cleaned.get("scheduled_at"):
            self.add_error("scheduled_at", "A scheduled post needs a time.")
        if after == Post.Status.PUBLISHED and "scheduled_at" in self.changed_data:
            self.add_error("scheduled_at", "This post is on Google already; its time cannot change.")
        return cleaned


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostAdminForm
    list_display = [
        "short_summary",
        "franchise",
        "status",
        "source",
        "topic_type",
        "scheduled_at",
        "published_at",
        "publishing_at",
        "attempts",
    ]
    list_filter = ["status", "source", "topic_type", "franchise"]
    search_fields = ["summary", "franchise__name", "google_post_name", "last_error"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["franchise"]
    autocomplete_fields = ["franchise"]
    readonly_fields = JOB_FIELDS

    @admin.display(description="Summary")
    def short_summary(self, obj: Post) -> str:
        return obj.summary if len(obj.summary) <= 80 else obj.summary[:77] + "…"

    def save_model(self, request: HttpRequest, obj: Post, form: PostAdminForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                created = post_create(
                    franchise=data["franchise"],
                    user=request.user,
                    status=data["status"],
                    source=data["source"],
                    scheduled_at=data.get("scheduled_at"),
                    **{name: data[name] for name in EDITABLE_FIELDS},
                )
                obj.pk = created.pk
                return
            self._change(request, obj, form)
        except ACTION_ERRORS as exc:
            request._post_admin_error = str(exc)

    def _change(self, request: HttpRequest, obj: Post, form: PostAdminForm) -> None:
        data = form.cleaned_data
        post = Post.objects.select_related("franchise").get(pk=obj.pk)
        content = {name: data[name] for name in EDITABLE_FIELDS if name in form.changed_data}
        if content:
            post = post_update(post=post, user=request.user, version=data.get("loaded_version"), **content)
        # Only what the admin changed: the rest of the row as loaded may be out of date by now.
        status, at = data["status"], data.get("scheduled_at")
        if status == (data.get("loaded_status") or status) and "scheduled_at" not in form.changed_data:
            return
        if status == Post.Status.SCHEDULED:
            post_schedule(post=post, at=at, user=request.user)
        elif status == Post.Status.DRAFT:
            post_unschedule(post=post, user=request.user)

    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        try:
            post_delete(post=obj, user=request.user)
        except ACTION_ERRORS as exc:
            request._post_admin_error = str(exc)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        refused = []
        for post in queryset.select_related("franchise"):
            try:
                post_delete(post=post, user=request.user)
            except ACTION_ERRORS as exc:
                refused.append(f"{post}: {exc}")
        if refused:
            request._post_admin_error = "Not deleted: " + " ".join(refused)

    def message_user(self, request: HttpRequest, message, level=messages.INFO, *args, **kwargs) -> None:
        """A refused action says why instead of the admin's "changed successfully"."""
        error = getattr(request, "_post_admin_error", None)
        if error and level == messages.SUCCESS:
            super().message_user(request, error, messages.ERROR, *args, **kwargs)
            return
        super().message_user(request, message, level, *args, **kwargs)


@admin.register(GoogleDeletion)
class GoogleDeletionAdmin(admin.ModelAdmin):
    """Deleted posts whose copy on Google is not confirmed gone yet (the publish job retries)."""

    list_display = ["post_id", "franchise", "google_post_name", "attempts", "next_attempt_at", "last_error"]
    list_select_related = ["franchise"]
    readonly_fields = [field.name for field in GoogleDeletion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and shown, never added, changed or deleted here: the dashboard's services do that."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PostSeries)
class PostSeriesAdmin(ReadOnlyAdmin):
    """Read-only: a series is created, changed and ended through its pages (posts/services/series.py),
    which keep its occurrences in step."""

    list_display = ["franchise", "rule", "local_time", "starts_on", "materialised_through", "ended_at"]
    list_filter = ["ended_at", "vary_with_claude"]
    search_fields = ["summary", "franchise__name"]


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    """Read-only: an announcement's posts are edited and cancelled from its page
    (/announcements/<id>/), through the same services as a post alone."""

    list_display = ["summary", "date", "local_time", "rule", "franchise_count", "created_by", "created_at"]
    search_fields = ["summary"]


@admin.register(BrandRules)
class BrandRulesAdmin(admin.ModelAdmin):
    """The group's brand rules, one row, saved through the same service as headquarters' page."""

    fields = list(RULE_FIELDS)
    list_display = ["__str__", "updated_at", "updated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not BrandRules.objects.exists()

    def save_model(self, request: HttpRequest, obj: BrandRules, form, change: bool) -> None:
        brand_rules_save(user=request.user, **{name: form.cleaned_data[name] for name in RULE_FIELDS})
