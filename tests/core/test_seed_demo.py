"""`manage.py seed_demo` (F8): idempotent demo users with printed credentials."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User

pytestmark = pytest.mark.django_db


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_creates_demo_and_staff_users_and_prints_their_credentials():
    output = _seed()

    assert "username=demo password=insightstock-demo" in output
    assert "username=staff password=insightstock-staff" in output
    assert authenticate(username="demo", password="insightstock-demo") is not None
    staff = authenticate(username="staff", password="insightstock-staff")
    assert staff is not None and staff.is_staff


def test_seed_is_idempotent():
    _seed()
    _seed()

    assert User.objects.filter(username__in=["demo", "staff"]).count() == 2


def test_if_empty_leaves_an_existing_database_alone(user):
    output = _seed("--if-empty")

    assert "not loaded" in output
    assert not User.objects.filter(username="demo").exists()


@override_settings(DEMO_DATA_ALLOWED=False)
def test_seed_refuses_where_demo_data_is_not_allowed():
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED"):
        _seed()

    assert not User.objects.filter(username="demo").exists()
    assert "username=demo" in _seed("--force")
