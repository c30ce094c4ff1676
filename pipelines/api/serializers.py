from rest_framework import serializers

from pipelines.models import JobRun


class JobOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    branch = serializers.CharField()
    schedule = serializers.CharField()
    code_schedule = serializers.CharField()
    enabled = serializers.BooleanField()
    differs_from_code = serializers.BooleanField()
    is_in_code = serializers.BooleanField()
    priority = serializers.IntegerField(allow_null=True)
    depends_on = serializers.ListField(child=serializers.CharField())
    next_run_at = serializers.DateTimeField(allow_null=True)
    last_status = serializers.CharField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    success_rate_7d = serializers.FloatField(allow_null=True)
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)


class RunOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "job",
            "branch",
            "trigger",
            "status",
            "queued_at",
            "started_at",
            "finished_at",
            "duration_ms",
            "progress",
            "progress_message",
            "error",
            "traceback",
            "worker",
            "attempt",
            "parent",
        ]


class RunFilterSerializer(serializers.Serializer):
    job = serializers.CharField(required=False, max_length=200)
    status = serializers.ChoiceField(choices=JobRun.Status.choices, required=False)
    branch = serializers.CharField(required=False, max_length=20)
