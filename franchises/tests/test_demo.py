from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from franchises.models import Franchise

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_superuser_and_franchise_once(settings, django_user_model, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin / demo-admin-password" in out
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="admin", password="demo-admin-password") is not None
    assert django_user_model.objects.get(username="admin").is_superuser

    call_command("seed_demo")
    assert django_user_model.objects.count() == 1
    assert Franchise.objects.count() == 1


def test_seed_demo_refuses_to_run_outside_debug(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not django_user_model.objects.exists()
