from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:  # noqa: ANN001
    """Each test stores its files in its own folder, served by the site (no CDN)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media-files/"
    return settings.MEDIA_ROOT
