"""API clients for tests."""

from __future__ import annotations

from rest_framework.test import APIClient


def api_client_for(user) -> APIClient:  # noqa: ANN001
    """An API client signed in as ``user`` (session-less), reading English messages."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client
