"""The beat scheduler: django-celery-beat's database scheduler, with one leader at a time (L3).

Two changes to `DatabaseScheduler`, which stays the source of truth that staff edit in the admin:

* Exactly one beat schedules: each beat holds or waits for a Redis lock (renewed on every tick,
  expiring after PIPELINES_BEAT_LOCK_TTL_SECONDS). A second beat started for availability sends
  nothing while the first lives and takes over within that TTL plus one tick after it dies.
* Every enabled job is loaded. Since 2.8, django-celery-beat skips crontab tasks whose hour is
  more than two hours from now (re-reading them later); a job whose hour field is out of that
  window at a sync can be missed. We load them all — the catalogue is small.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_celery_beat.schedulers import SCHEDULE_SYNC_MAX_INTERVAL, DatabaseScheduler

from core.redis import RedisError, state_redis

logger = logging.getLogger(__name__)

LEADER_KEY = "pipelines:beat:leader"
# Renew our lease, or take it if nobody holds it.
_LEAD_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class PipelineScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._token = secrets.token_hex(8)
        self._is_leading = False
        super().__init__(*args, **kwargs)

    def enabled_models_qs(self):  # noqa: ANN201 - django-celery-beat's signature
        next_sync = timezone.now() + datetime.timedelta(seconds=SCHEDULE_SYNC_MAX_INTERVAL)
        return self.Model.objects.enabled().exclude(
            clocked__isnull=False, clocked__clocked_time__gt=next_sync
        )

    def _lead(self) -> bool:
        ttl_ms = int(settings.PIPELINES_BEAT_LOCK_TTL_SECONDS * 1000)
        try:
            is_leading = bool(state_redis().eval(_LEAD_SCRIPT, 1, LEADER_KEY, self._token, ttl_ms))
        except RedisError:
            is_leading = False  # without Redis there is no broker either: send nothing
        if is_leading != self._is_leading:
            logger.warning(
                "beat %s: %s",
                self._token,
                "leading: scheduling jobs" if is_leading else "standing by",
            )
            if is_leading:
                # Taking over: read the schedule afresh, with the last run times the previous
                # leader saved, rather than a copy read while standing by.
                self._initial_read = True
                self._heap = []
                self._heap_invalidated = True
            self._is_leading = is_leading
        return is_leading

    def tick(self, *args: Any, **kwargs: Any) -> float:
        renew_every = settings.PIPELINES_BEAT_LOCK_TTL_SECONDS / 6
        if not self._lead():
            return renew_every
        return min(super().tick(*args, **kwargs), renew_every)
