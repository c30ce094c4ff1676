"""Signals of the accounts app, for the apps above it (accounts imports none of them)."""

from django.dispatch import Signal

# Sent after commit, with `user_id`, when every session of a user ends (log out everywhere, a
# new password). Access tokens are refused from their next use; what holds a connection opened
# with one (a chat socket) must close it, or a stolen token keeps listening.
user_sessions_revoked = Signal()
