"""Celery (F5): Redis broker, one queue per pipeline branch (L4), database beat scheduler."""

from kombu import Exchange, Queue

from config.env import env
from config.settings.redis import REDIS_BROKER_URL, REDIS_CONNECT_TIMEOUT_SECONDS

PIPELINE_BRANCHES = ("data", "cache", "image", "ai", "cleanup")
CELERY_QUEUES_ALL = (*PIPELINE_BRANCHES, "default")

CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    "visibility_timeout": 3600,
}
CELERY_RESULT_BACKEND = None  # runs are recorded in PostgreSQL, not in a result backend
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Seoul"
CELERY_ENABLE_UTC = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in CELERY_QUEUES_ALL]
CELERY_TASK_ROUTES = ("pipelines.registry.route_to_branch",)
CELERY_TASK_ACKS_LATE = True
# A job whose worker process is killed mid-way (SIGKILL, the OOM killer) runs again: without this,
# acks_late still acks the message as failed (WorkerLostError) and the run is lost. Requeued, it
# is picked up at once, and the runner takes over the lock the dead delivery left (same task id).
# Jobs are written to be re-run (data: unique keys, ignore_conflicts, upserts), so a re-run adds
# no duplicate rows; a job that kills its worker every time is given up after its retries.
# A whole worker killed leaves its message unacked in Redis: redelivered after visibility_timeout.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "pipelines.beat:PipelineScheduler"  # DatabaseScheduler + one leader
# Save each sent job's last run at once, so a beat taking over does not send it again.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)

# Pipelines (L6): how many events the Redis stream keeps, how long run records are kept.
PIPELINES_EVENT_STREAM_MAXLEN = env.int("PIPELINES_EVENT_STREAM_MAXLEN", default=10_000)
PIPELINES_RUN_RETENTION_DAYS = env.int("PIPELINES_RUN_RETENTION_DAYS", default=30)
# A standby beat takes over within this many seconds (plus one tick) after the leader dies.
PIPELINES_BEAT_LOCK_TTL_SECONDS = env.float("PIPELINES_BEAT_LOCK_TTL_SECONDS", default=30)
