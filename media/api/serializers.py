from __future__ import annotations

from rest_framework import serializers


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="JPEG, PNG, GIF or WebP")


class VariantSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class VariantsSerializer(serializers.Serializer):
    thumbnail = VariantSerializer(required=False)
    preview = VariantSerializer(required=False)
    full = VariantSerializer(required=False)


class ImageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["processing", "ready", "failed"])
    failure_reason = serializers.CharField(allow_null=True)
    original_name = serializers.CharField(allow_blank=True)
    format = serializers.CharField()
    size_bytes = serializers.IntegerField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    variants = VariantsSerializer(help_text="Empty until ready")
    created_at = serializers.DateTimeField()


class AvatarInputSerializer(serializers.Serializer):
    image = serializers.UUIDField(allow_null=True, help_text="One of your ready images, or null")


class AvatarOutputSerializer(serializers.Serializer):
    image = serializers.UUIDField(allow_null=True)
    url = serializers.CharField(allow_null=True)
