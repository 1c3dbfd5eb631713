"""Brand rules: headquarters' page that sets them, and the editor's check as you type (JSON)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from franchises.access import headquarters_required
from franchises.selectors import franchise_get_for_user
from gbp_scheduler.http import body_limit
from gbp_scheduler.throttle import allowance_take

from ..brand import RULE_NAMES, post_check
from ..forms import BrandRulesForm, PostForm
from ..services.brand import brand_rules_get, brand_rules_save


@headquarters_required("set the brand rules")
@require_http_methods(["GET", "POST"])
def brand_rules_edit(request: HttpRequest) -> HttpResponse:
    rules = brand_rules_get()
    form = BrandRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        brand_rules_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Brand rules saved. Posts are checked against them from now on, scheduled ones too.")
        return redirect("posts:brand_rules")
    return render(request, "posts/brand_rules.html", {"form": form, "rules": rules, "rule_names": RULE_NAMES})


@login_required
@require_POST
@body_limit()
def post_check_view(request: HttpRequest, franchise_id) -> JsonResponse:
    """The editor's content checked as the person types: Google's rules and the brand's, each
    problem with its rule and field (posts/brand.py). Shares the preview's allowance per minute."""
    franchise = franchise_get_for_user(user=request.user, franchise_id=franchise_id)
    limit = settings.POST_PREVIEW_PER_USER_PER_MINUTE
    if not allowance_take(key=f"posts:check:{request.user.pk}", limit=limit, period_seconds=60):
        return JsonResponse({"paused": True, "problems": []}, status=429)
    with timezone.override(franchise.zone):
        form = PostForm(request.POST, franchise=franchise, intent="preview")
        form.is_valid()
    post = form.unsaved_post()
    problems = post_check(post) if (post.summary or "").strip() else []
    return JsonResponse({"problems": [problem.as_dict() for problem in problems]})
