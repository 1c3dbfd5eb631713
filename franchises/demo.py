"""Demo data for `make run`: a superuser and a franchise on an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from .services import franchise_create

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "demo-admin-password"


@dataclass
class DemoLogin:
    username: str
    password: str
    created: bool


@transaction.atomic
def demo_data_ensure() -> DemoLogin:
    """Create the demo login and franchise once; later runs keep what is there."""
    User = get_user_model()
    if User.objects.exists():
        return DemoLogin(DEMO_USERNAME, DEMO_PASSWORD, created=False)
    User.objects.create_superuser(DEMO_USERNAME, "admin@example.com", DEMO_PASSWORD)
    franchise_create(
        name="Cincinnati",
        timezone="America/New_York",
        city="Cincinnati",
        website="https://cincinnati.example.com",
        description="A family-run franchise location serving the Cincinnati area.",
        services="Lawn care\nSnow removal\nLandscaping",
    )
    return DemoLogin(DEMO_USERNAME, DEMO_PASSWORD, created=True)
