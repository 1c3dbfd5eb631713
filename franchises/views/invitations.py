"""Opening an invitation's link: the signed token is the credential, so the page needs no login.

Signed in with the invited address: join as that account; with any other account: refused (403),
saying why and what to do. Signed out: sign in first when an account has the invited address (the
link's holder controls that inbox, so telling them is no leak), or create an account for it with a
password only (the address is its username: nothing here tells whether another username exists).
Either way the invitation is used up and the person lands on the franchise's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import services
from ..forms import InvitationAccountForm
from ..models import Invitation
from ..selectors import InvitationUnusable, invitation_for_token, invitation_refusal_for

# The account a new member signs in with from now on: django-axes' backend needs a login form's
# request, which creating the account is not.
BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token=token)
    except InvitationUnusable as exc:
        return render(request, "franchises/invitation_unusable.html", {"reason": str(exc)}, status=exc.status)
    if request.user.is_authenticated:
        if refusal := invitation_refusal_for(invitation=invitation, user=request.user):
            return _page(request, invitation, refusal=refusal, status=403)
        if request.method == "POST":
            return _accept(request, invitation, user=request.user)
        return _page(request, invitation)
    if _has_account(invitation):
        return _page(request, invitation, sign_in_first=True)
    new = get_user_model()(username=services.invitation_username(invitation), email=invitation.email)
    form = InvitationAccountForm(request.POST or None, user=new)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_with_new_account(
                invitation=invitation, password=form.cleaned_data["password1"]
            )
        except InvitationUnusable as exc:
            return render(request, "franchises/invitation_unusable.html", {"reason": str(exc)}, status=exc.status)
        login(request, membership.user, backend=BACKEND)
        return _welcome(request, membership)
    return _page(request, invitation, form=form, username=new.get_username(), status=400 if form.is_bound else 200)


def _has_account(invitation: Invitation) -> bool:
    """An active account has the address, as its email or as its username: then the person signs
    in with it (a second account for the address, or one taking its name, is not made)."""
    username = services.invitation_username(invitation)
    return (
        get_user_model()
        .objects.filter(Q(email__iexact=invitation.email) | Q(username__iexact=username), is_active=True)
        .exists()
    )


def _page(request: HttpRequest, invitation: Invitation, *, status=200, **context):
    context = {"invitation": invitation, **context}
    return render(request, "franchises/invitation_accept.html", context, status=status)


def _accept(request: HttpRequest, invitation: Invitation, *, user) -> HttpResponse:
    try:
        membership = services.invitation_accept(invitation=invitation, user=user)
    except InvitationUnusable as exc:
        return render(request, "franchises/invitation_unusable.html", {"reason": str(exc)}, status=exc.status)
    return _welcome(request, membership)


def _welcome(request: HttpRequest, membership) -> HttpResponse:
    role = membership.get_role_display().lower()
    messages.success(
        request,
        f"Welcome to {membership.franchise.name}: you are a member as {role}. "
        f"You sign in as {membership.user.get_username()}.",
    )
    return redirect("franchises:detail", franchise_id=membership.franchise_id)
