from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: an investor using the site and the apps, or staff when is_staff."""

    # Bumped by "log out everywhere": access tokens carry the generation they were issued under,
    # so the bump voids every outstanding access token at the next request, not 15 minutes later.
    token_generation = models.PositiveIntegerField(default=0, editable=False)

    # Cache-tracked (cachekit): saving a user drops cached entries that depend on them.
    cache_lookup_fields = ("username",)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def set_password(self, raw_password: str | None) -> None:
        # A new password (a change, an admin reset) ends every API session the old one opened.
        super().set_password(raw_password)
        self.token_generation += 1
