"""Demo data of the accounts app, loaded by `manage.py seed_demo`."""

from __future__ import annotations

from typing import TextIO

from accounts.models import User

DEMO_USERS = (
    # username, password, is_staff
    ("demo", "insightstock-demo", False),
    ("staff", "insightstock-staff", True),
)


def has_data() -> bool:
    return User.objects.exists()


def seed_demo(*, stdout: TextIO) -> None:
    """Create the demo investor and staff user; reset their passwords so the printed ones work."""
    for username, password, is_staff in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@insightstock.example", "is_staff": is_staff},
        )
        user.is_staff = is_staff
        user.is_superuser = is_staff
        user.is_active = True
        user.set_password(password)
        user.save()
        role = "staff (admin)" if is_staff else "investor"
        stdout.write(
            f"  {'created' if created else 'kept   '} {role:14} username={username} "
            f"password={password}\n"
        )
