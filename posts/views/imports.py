"""Many posts from a CSV file: the dry run shows each row as it would be created, or its problems;
the import creates them all or none (posts/services/imports.py). Headquarters imports for every
franchise; a franchise admin for the franchises they administer; others get 403."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from franchises.selectors import franchises_administered_by

from ..services.imports import COLUMNS, ImportRefused, posts_import, posts_import_check

# A 5,000-row file of long posts stays well under this; Django's own request limit is the backstop.
CSV_MAX_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", required=False, help_text="UTF-8, with the column names on its first line."
    )
    csv_text = forms.CharField(label="Or paste the CSV", required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def csv(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > CSV_MAX_BYTES:
                raise forms.ValidationError("The file is over 5 MB: split it.")
            try:
                return upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text: save it as CSV UTF-8 and try again.") from None
        return self.cleaned_data.get("csv_text") or ""


@login_required
@require_http_methods(["GET", "POST"])
def posts_import_view(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST step=check: the dry run. POST step=import: create them all (the CSV
    comes back from the dry run's page in a hidden field)."""
    if not franchises_administered_by(user=request.user).exists():
        raise PermissionDenied("Only headquarters and franchise admins can import posts.")
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": COLUMNS}
    if request.method == "POST" and form.is_valid():
        try:
            text = form.csv()
        except forms.ValidationError as exc:
            form.add_error("file", exc)
            return render(request, "posts/import.html", context, status=400)
        if request.POST.get("step") == "import":
            try:
                posts = posts_import(user=request.user, text=text)
            except ImportRefused as exc:
                messages.error(request, str(exc))
                context.update(check=exc.check, csv_text=text)
                return render(request, "posts/import.html", context, status=400)
            messages.success(request, f"Imported {len(posts)} post{'' if len(posts) == 1 else 's'}.")
            return redirect("posts:list")
        context.update(check=posts_import_check(user=request.user, text=text), csv_text=text)
    return render(request, "posts/import.html", context)
