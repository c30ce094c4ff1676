from django.db import models
from django_celery_beat.models import PeriodicTask


class CatalogueEntry(models.Model):
    """One job of the code's catalogue as last synced into the beat schedule.

    Keeps the code's values from the last sync, so a later sync can tell a staff edit of the
    PeriodicTask (kept) from a change in code (applied).
    """

    name = models.CharField(max_length=200, unique=True)
    branch = models.CharField(max_length=20, db_index=True)
    periodic_task = models.OneToOneField(
        PeriodicTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code_schedule = models.CharField(max_length=200, blank=True)
    code_enabled = models.BooleanField(default=True)
    is_in_code = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["branch", "name"]
        verbose_name_plural = "catalogue"

    def __str__(self) -> str:
        return self.name


class JobRun(models.Model):
    """One run of one job: why it ran, how it went, how far it got."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        MANUAL = "manual"
        DEPENDENCY = "dependency"
        RETRY = "retry"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    job = models.CharField(max_length=200)
    branch = models.CharField(max_length=20)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="dependency_runs"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["job", "-queued_at"]),
            models.Index(fields=["branch", "-queued_at"]),
            models.Index(fields=["status", "-queued_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk} {self.status}"
