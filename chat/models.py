"""Chat rooms, their members and messages (H1-H14)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from cachekit.managers import CachingManager
from core.textsearch import document_vector


class RoomKind(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE = "private", _("private")
    DIRECT = "direct", _("direct")


class Room(models.Model):
    """One chat room: public (anyone may join), private (by invitation) or a direct chat;
    optionally a stock's discussion room."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=RoomKind.choices)
    stock = models.ForeignKey(
        "stocks.Stock", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CachingManager()
    cache_lookup_fields = ()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OWNER = "owner", _("owner")
    MEMBER = "member", _("member")


class Membership(models.Model):
    """A user's place in a room, and the last message they have read there."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships"
    )
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_read_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CachingManager()
    cache_lookup_fields = ("user_id", "room_id")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_unique_user"),
        ]
        indexes = [models.Index(fields=["user", "room"], name="membership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id}"


class Message(models.Model):
    """One message in a room; deleting one blanks it (soft delete) and keeps its place."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    content = models.TextField(_("content"))
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # An image the sender attached (one of their own uploads; declared in ChatConfig, so the
    # media clean-up keeps it while the message does).
    image = models.ForeignKey(
        "media.Image", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The content tokenised for Korean and English search (core.textsearch), written by the
    # services with the content; empty once deleted.
    search_document = SearchVectorField(null=True, editable=False)

    objects = CachingManager()
    cache_lookup_fields = ("room_id",)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["room", "-id"], name="message_room_recent_idx"),
            GinIndex(fields=["search_document"], name="message_search_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.pk}"

    def search_document_of_content(self) -> str:
        return document_vector([(self.content, "A")])


class ReadReceipt(models.Model):
    """That a user has read a message (written in batches: a read of a page marks all of it)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="receipt_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.message_id}"
