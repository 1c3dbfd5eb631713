"""Invitations: how a franchise gets members. An admin (or headquarters) invites an email address
with a role; the person opens the emailed link, signs in or creates an account, and accepts.

Adding a member once took any username or email of the installation, with no consent, and its
answers told the admin which accounts existed. Now the answer to "invite x@y", and the work behind
it, do not depend on whether x@y has an account, and nobody joins without accepting.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from franchises import services
from franchises.models import FranchiseEvent, Invitation, Membership
from franchises.selectors import InvitationUnusable
from testkit.factories import make_franchise, make_member, make_user
from testkit.web import logged_in, messages_of

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-new-passphrase-42"


@pytest.fixture(autouse=True)
def _fresh_allowances(empty_cache, settings):
    """Sends per address are counted in the cache, per clock hour: the clock starts just after an
    hour begins, so a test never straddles two. Accounts get a fast password hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, 1, tzinfo=UTC)):
        yield


@pytest.fixture
def franchise():
    return make_franchise(name="Lisbon Bakery")


@pytest.fixture
def admin(franchise):
    return make_member(franchise, Membership.Role.ADMIN, email="boss@example.com")


def _invite(client, franchise, email: str, role: str = "staff", *, on_commit=None):
    url = reverse("franchises:members", args=[franchise.pk])
    if on_commit is None:
        return client.post(url, {"email": email, "role": role})
    with on_commit(execute=True):
        return client.post(url, {"email": email, "role": role})


def _link(email) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/invitations/\S+/)", email.body).group(1)


# --- the invite's answer does not depend on who has an account ----------------------------------


def _normalized(queries) -> list[str]:
    """The SQL run, with every literal (the address, new ids, times) and savepoint name replaced."""
    return [re.sub(r"'[^']*'|\"s\d+_x\d+\"", "?", query["sql"]) for query in queries]


def test_the_invite_answer_and_its_work_are_the_same_with_or_without_an_account(
    client, franchise, admin, django_assert_num_queries, django_capture_on_commit_callbacks
):
    other = make_franchise(name="Porto Bakery")
    make_member(other, Membership.Role.STAFF, username="maria", email="maria@example.com")  # exists elsewhere
    make_user(username="admin", email="hq@example.com", superuser=True)
    logged_in(client, admin)

    answers, sql = {}, {}
    for email in ("maria@example.com", "nobody@example.com", "hq@example.com", "NOBODY2@example.com"):
        with CaptureQueriesContext(connection) as queries:
            answers[email] = _invite(client, franchise, email, on_commit=django_capture_on_commit_callbacks)
        sql[email] = _normalized(queries.captured_queries)
    with django_assert_num_queries(len(sql["nobody@example.com"])):
        _invite(client, franchise, "someone-else@example.com", on_commit=django_capture_on_commit_callbacks)

    assert {(a.status_code, a["Location"]) for a in answers.values()} == {
        (302, reverse("franchises:members", args=[franchise.pk]))
    }
    assert len({tuple(queries) for queries in sql.values()}) == 1, "the same queries whoever the address is"
    page = client.get(reverse("franchises:members", args=[franchise.pk]))
    assert messages_of(page) == [
        f"Invitation to join as staff sent to {email.lower()}." for email in [*answers, "someone-else@example.com"]
    ]
    body = page.content.decode()
    assert "maria" not in body.replace("maria@example.com", "")  # no username of a non-member
    assert 'id="member-list"' in body and body.count('data-username="') == 1  # only the admin is a member
    # The emails differ only in the address and the link.
    bodies = {e.to[0]: e.body.replace(_link(e), "<link>") for e in mail.outbox}
    assert bodies["maria@example.com"] == bodies["nobody@example.com"]
    assert not Membership.objects.filter(user__username__in=["maria", "admin"], franchise=franchise).exists()


def test_the_invite_answer_for_a_headquarters_address_reveals_nothing_either(client, franchise, admin):
    """The headquarters superuser was once added to a franchise by `identifier=admin`."""
    make_user(username="admin", email="hq@example.com", superuser=True)
    response = _invite(logged_in(client, admin), franchise, "admin")
    assert response.status_code == 400  # a username is not an email address, existing or not
    assert "Enter a valid email address." in response.content.decode()
    assert _invite(client, franchise, "hq@example.com").status_code == 302
    assert not Membership.objects.filter(user__username="admin").exists()


def test_an_address_a_member_already_has_is_refused_inline(client, franchise, admin):
    make_member(franchise, Membership.Role.STAFF, email="baker@example.com")
    response = _invite(logged_in(client, admin), franchise, "Baker@Example.com")
    assert response.status_code == 400
    assert "baker@example.com is already a member" in response.content.decode()
    assert not Invitation.objects.exists()


# --- accepting --------------------------------------------------------------------------------


def test_a_new_person_creates_an_account_from_the_link_and_lands_on_the_franchise(
    client, franchise, admin, django_capture_on_commit_callbacks
):
    _invite(
        logged_in(client, admin),
        franchise,
        "Newcomer@Example.com",
        "admin",
        on_commit=django_capture_on_commit_callbacks,
    )
    email = mail.outbox[-1]
    assert email.to == ["newcomer@example.com"]
    assert email.subject == "You are invited to join Lisbon Bakery on GBP Post Scheduler"
    assert "invited you to join Lisbon Bakery on GBP Post Scheduler as admin" in email.body
    link = _link(email)

    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200 and 'id="invitation-account-form"' in page.content.decode()
    assert 'id="invitation-username">newcomer@example.com<' in page.content.decode()
    mismatched = visitor.post(link, {"password1": PASSWORD, "password2": "other"})
    assert mismatched.status_code == 400 and not get_user_model().objects.filter(email="newcomer@example.com").exists()

    joined = visitor.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == reverse("franchises:detail", args=[franchise.pk])
    membership = Membership.objects.get(user__username="newcomer@example.com")
    assert (membership.franchise, membership.role, membership.user.email) == (
        franchise,
        "admin",
        "newcomer@example.com",
    )
    landing = visitor.get(joined["Location"])
    assert "Welcome to Lisbon Bakery: you are a member as admin. You sign in as newcomer@example.com." in messages_of(
        landing
    )

    again = Client().get(link)  # the link works once
    assert again.status_code == 410 and "already used" in again.content.decode()
    actions = list(
        FranchiseEvent.objects.filter(franchise=franchise).order_by("created_at").values_list("action", "actor")
    )
    assert actions == [("member_invited", admin.pk), ("member_joined", membership.user_id)]


def test_someone_with_an_account_signs_in_and_joins(client, franchise, admin, django_capture_on_commit_callbacks):
    maria = make_member(
        make_franchise(name="Porto"), Membership.Role.STAFF, username="maria", email="maria@example.com"
    )
    _invite(logged_in(client, admin), franchise, "maria@example.com", on_commit=django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])

    visitor = Client()
    page = visitor.get(link).content.decode()
    assert 'id="invitation-sign-in"' in page and f"{reverse('login')}?next=" in page
    assert visitor.post(link, {"username": "x", "password1": PASSWORD, "password2": PASSWORD}).status_code == 200
    assert not get_user_model().objects.filter(username="x").exists()  # no second account for the address

    logged_in(visitor, maria)
    page = visitor.get(link).content.decode()
    assert 'id="invitation-join"' in page and 'id="invitation-other-account"' not in page
    assert visitor.post(link)["Location"] == reverse("franchises:detail", args=[franchise.pk])
    assert Membership.objects.get(user=maria, franchise=franchise).role == Membership.Role.STAFF


def test_a_link_opened_in_another_accounts_browser_adds_nobody_and_says_why(
    client, franchise, admin, django_capture_on_commit_callbacks
):
    """A link sent to one address, opened by another signed-in account, made that account an admin."""
    _invite(
        logged_in(client, admin), franchise, "work@example.com", "admin", on_commit=django_capture_on_commit_callbacks
    )
    link = _link(mail.outbox[-1])
    someone = logged_in(Client(), make_user(username="li", email="home@example.com"))

    page = someone.get(link)
    assert page.status_code == 403
    body = page.content.decode()
    assert 'id="invitation-other-account"' in body and 'id="invitation-join"' not in body
    assert "This invitation was sent to work@example.com, and you are signed in as li (home@example.com)" in body
    refused = someone.post(link)
    assert refused.status_code == 403 and not Membership.objects.filter(user__username="li").exists()
    with pytest.raises(InvitationUnusable, match=r"sent to work@example\.com"):
        services.invitation_accept(
            invitation=Invitation.objects.get(), user=get_user_model().objects.get(username="li")
        )
    # Headquarters is no exception: the link is for the invited address's account.
    hq = logged_in(Client(), make_user(superuser=True, email="hq@example.com"))
    assert hq.post(link).status_code == 403
    assert Membership.objects.filter(franchise=franchise).count() == 1  # the inviting admin only

    # The invited account itself still joins with the same link.
    work = logged_in(Client(), make_user(username="work", email="Work@Example.com"))
    assert work.post(link)["Location"] == reverse("franchises:detail", args=[franchise.pk])
    assert Membership.objects.get(user__username="work", franchise=franchise).role == "admin"


def test_the_account_form_tells_nothing_about_which_usernames_exist(
    client, franchise, admin, django_capture_on_commit_callbacks
):
    """An admin invited an address they controlled, opened the link signed out and posted usernames
    with mismatched passwords: "A user with that username already exists" named the real ones."""
    for username in ("maria", "headquarters", "ohio-admin"):
        make_user(username=username)
    _invite(logged_in(client, admin), franchise, "probe@example.com", on_commit=django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])
    visitor = Client()

    answers = {}
    for username in ("maria", "headquarters", "ohio-admin", "nobody-1", "nobody-2"):
        answer = visitor.post(link, {"username": username, "password1": PASSWORD, "password2": "mismatch"})
        answers[username] = (answer.status_code, _without_csrf_token(answer.content.decode()))
    assert len(set(answers.values())) == 1, "the answer differs with the username sent"
    status, body = answers["maria"]
    assert status == 400 and "already exists" not in body and 'name="username"' not in body


def _without_csrf_token(body: str) -> str:
    """The page without its CSRF tokens (masked afresh for every answer)."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", body)


def test_an_account_whose_username_is_the_invited_address_signs_in_instead(
    client, franchise, admin, django_capture_on_commit_callbacks
):
    make_user(username="li@example.com", email="")  # made by hand in the admin, say
    _invite(logged_in(client, admin), franchise, "li@example.com", on_commit=django_capture_on_commit_callbacks)
    page = Client().get(_link(mail.outbox[-1])).content.decode()
    assert 'id="invitation-sign-in"' in page and 'id="invitation-account-form"' not in page


def test_sending_again_replaces_the_link_and_withdrawing_kills_it(
    client, franchise, admin, django_capture_on_commit_callbacks
):
    logged_in(client, admin)
    _invite(client, franchise, "li@example.com", on_commit=django_capture_on_commit_callbacks)
    first = _link(mail.outbox[-1])
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("franchises:invitation_resend", args=[franchise.pk, invitation.pk]))
    second = _link(mail.outbox[-1])
    assert first != second
    old = Client().get(first)
    assert old.status_code == 410 and "use the link in the latest email" in old.content.decode()
    assert Client().get(second).status_code == 200

    client.post(reverse("franchises:invitation_revoke", args=[franchise.pk, invitation.pk]))
    withdrawn = Client().get(second)
    assert withdrawn.status_code == 410 and "withdrawn" in withdrawn.content.decode()
    assert 'id="no-invitations"' in client.get(reverse("franchises:members", args=[franchise.pk])).content.decode()
    actions = list(FranchiseEvent.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == ["member_invited", "invitation_resent", "invitation_revoked"]


def test_inviting_the_same_address_again_refreshes_its_open_invitation(client, franchise, admin):
    logged_in(client, admin)
    _invite(client, franchise, "li@example.com", "staff")
    _invite(client, franchise, "li@example.com", "admin")
    invitation = Invitation.objects.get()
    assert invitation.role == "admin"


def test_an_expired_link_says_so_and_can_be_sent_again(
    client, franchise, admin, settings, django_capture_on_commit_callbacks
):
    settings.INVITATION_EXPIRY_DAYS = 7
    _invite(logged_in(client, admin), franchise, "li@example.com", on_commit=django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        expired = Client().get(link)
        assert expired.status_code == 410 and "expired" in expired.content.decode()
        assert "expired" in client.get(reverse("franchises:members", args=[franchise.pk])).content.decode()


@pytest.mark.parametrize("token", ["not-a-token", "eyJpIjoiMSJ9:1abc:forged"])
def test_a_made_up_or_tampered_link_is_not_found(token):
    response = Client().get(reverse("franchises:invitation_accept", args=[token]))
    assert response.status_code == 404 and 'id="invitation-unusable"' in response.content.decode()


def test_one_address_gets_a_few_invitations_an_hour(client, franchise, admin):
    logged_in(client, admin)
    for _ in range(services.INVITATIONS_PER_EMAIL_PER_HOUR):
        assert _invite(client, franchise, "li@example.com").status_code == 302
    refused = _invite(client, franchise, "li@example.com")
    assert refused.status_code == 400 and "wait an hour" in refused.content.decode()


# --- membership changes are in the franchise's history ------------------------------------------


def test_role_changes_and_removals_are_in_the_history(client, franchise, admin):
    staff = make_member(franchise, Membership.Role.STAFF, username="baker")
    membership = Membership.objects.get(user=staff)
    logged_in(client, admin)
    client.post(reverse("franchises:member_role", args=[franchise.pk, membership.pk]), {"role": "admin"})
    client.post(reverse("franchises:member_remove", args=[franchise.pk, membership.pk]))
    history = client.get(reverse("posts:history", args=[franchise.pk])).content.decode()
    assert 'data-event="member_role"' in history and "baker: staff to admin" in history
    assert 'data-event="member_removed"' in history and "baker (admin)" in history


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_link_opened_twice_at_once_makes_one_member():
    """Single use holds under a race: the accept re-checks the invitation under the franchise's lock."""
    franchise = make_franchise()
    invitation = services.invitation_send(franchise=franchise, email="li@example.com", role="staff", actor=None)
    people = [make_user(email="li@example.com"), make_user(email="li@example.com")]  # one address, two accounts
    barrier, refused = threading.Barrier(2), []

    def accept(user) -> None:
        try:
            barrier.wait()
            services.invitation_accept(invitation=Invitation.objects.get(pk=invitation.pk), user=user)
        except InvitationUnusable:
            refused.append(user)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 1
    assert Membership.objects.filter(franchise=franchise).count() == 1
