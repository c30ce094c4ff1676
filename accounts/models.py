from django.contrib.auth.models import AbstractUser
from django.db import models, transaction


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
        self._are_sessions_revoked = True

    def save(self, *args: object, **kwargs: object) -> None:
        is_new = self._state.adding
        super().save(*args, **kwargs)
        if getattr(self, "_are_sessions_revoked", False):
            self._are_sessions_revoked = False
            if not is_new:  # a new user has no sessions to end
                from accounts.signals import user_sessions_revoked

                user_id = self.pk
                transaction.on_commit(
                    lambda: user_sessions_revoked.send(sender=User, user_id=user_id)
                )
