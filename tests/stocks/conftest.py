from __future__ import annotations

from tests.pipelines.conftest import worker  # noqa: F401 - a real Celery worker for jobs
