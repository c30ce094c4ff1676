"""Admin for staff (L3, L8): the catalogue with run-now and reset-to-code, and read-only runs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from pipelines import services
from pipelines.models import CatalogueEntry, JobRun
from pipelines.registry import JOBS


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "branch",
        "live_schedule",
        "code_schedule",
        "is_enabled",
        "differs",
        "is_in_code",
    )
    list_filter = ("branch", "is_in_code")
    search_fields = ("name",)
    readonly_fields = [f.name for f in CatalogueEntry._meta.fields]
    actions = ("run_now", "reset_to_code")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("periodic_task__crontab", "periodic_task__interval")
        )

    @admin.display(description="schedule (live)")
    def live_schedule(self, entry: CatalogueEntry) -> str:
        if entry.periodic_task is None:
            return "(run on demand)"
        return services.periodic_task_schedule(entry.periodic_task)

    @admin.display(boolean=True, description="enabled")
    def is_enabled(self, entry: CatalogueEntry) -> bool:
        return entry.periodic_task.enabled if entry.periodic_task else entry.is_in_code

    @admin.display(boolean=True, description="edited (differs from code)")
    def differs(self, entry: CatalogueEntry) -> bool:
        task = entry.periodic_task
        return task is not None and (
            services.periodic_task_schedule(task) != entry.code_schedule
            or task.enabled != entry.code_enabled
        )

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        for entry in queryset:
            if entry.name not in JOBS:
                self.message_user(request, f"{entry.name} is no longer in code", messages.WARNING)
                continue
            run = services.job_run_now(name=entry.name)
            self.message_user(request, f"Queued {entry.name} (run #{run.pk})")

    @admin.action(description="Reset schedule and enabled flag to the code's values")
    def reset_to_code(self, request: HttpRequest, queryset: QuerySet) -> None:
        for entry in queryset:
            services.catalogue_entry_reset(entry=entry)
        self.message_user(request, f"Reset {queryset.count()} job(s) to the code's values")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are declared in code


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "job",
        "branch",
        "trigger",
        "status",
        "progress",
        "queued_at",
        "duration_ms",
        "worker",
    )
    list_filter = ("branch", "status", "trigger", "job")
    search_fields = ("job", "error")
    date_hierarchy = "queued_at"
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False  # history is pruned by the cleanup job, not by hand
