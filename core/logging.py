"""Logging helpers."""

from __future__ import annotations

import logging
import threading
import time


class RateLimitedWarningFilter(logging.Filter):
    """Turn repeated failures into one short warning per interval.

    django-redis logs every ignored exception with a traceback; while Redis is down that would be
    one traceback per cache call. This keeps the first of each kind per interval, as a single
    WARNING line that names the error, and counts how many were suppressed in between.
    """

    def __init__(self, interval_seconds: float = 60.0) -> None:
        super().__init__()
        self.interval_seconds = interval_seconds
        self._last_emitted: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._last_emitted.clear()
            self._suppressed.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        cause = getattr(error, "__cause__", None) or error
        kind = f"{record.name}:{type(cause).__name__ if cause else record.msg}"
        now = time.monotonic()
        with self._lock:
            last = self._last_emitted.get(kind)
            if last is not None and now - last < self.interval_seconds:
                self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
                return False
            self._last_emitted[kind] = now
            suppressed = self._suppressed.pop(kind, 0)
        if cause is not None:
            # django-redis's own message is just "Exception ignored": say what was degraded.
            context = "cache" if record.msg == "Exception ignored" else record.getMessage()
            record.msg = "Redis unavailable (%s), carrying on without it: %s: %s"
            record.args = (context, type(cause).__name__, cause)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        if suppressed:
            record.msg = f"{record.msg} ({suppressed} similar messages suppressed)"
        return True
