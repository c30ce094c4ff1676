"""Media API for the mobile apps: upload an image (answered at once, processed on the image
branch), read one's images with their variant URLs, choose an avatar."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.throttling import UserWriteThrottle
from media import selectors, services
from media.api.serializers import (
    AvatarInputSerializer,
    AvatarOutputSerializer,
    ImageSerializer,
    UploadSerializer,
)


class UploadThrottle(UserWriteThrottle):
    scope = "media-upload"  # the /media/ page's budget too
    limit_setting = "MEDIA_UPLOADS_PER_MINUTE"


class ImageListView(APIView):
    parser_classes = [MultiPartParser]
    throttle_classes = [UploadThrottle]
    pagination_class = PageNumberPagination  # also what the schema documents for GET

    @extend_schema(responses={200: ImageSerializer(many=True)})
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        images = paginator.paginate_queryset(selectors.images_of(request.user.pk), request, self)
        return paginator.get_paginated_response(
            ImageSerializer([selectors.image_payload(i) for i in images], many=True).data
        )

    @extend_schema(request={"multipart/form-data": UploadSerializer},
                   responses={201: ImageSerializer, 200: ImageSerializer})  # fmt: skip
    def post(self, request: Request) -> Response:
        """Upload an image: 201 with status `processing` (or 200 with the image already made
        of the same bytes); 400 naming `file` for anything that is not an image we take."""
        data = UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        file = data.validated_data["file"]
        image, created = services.image_upload(
            owner=request.user, source=file, size_bytes=file.size, name=file.name or ""
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(ImageSerializer(selectors.image_payload(image)).data, status=code)


class ImageDetailView(APIView):
    @extend_schema(responses={200: ImageSerializer})
    def get(self, request: Request, image_id: str) -> Response:
        image = selectors.image_of(user_id=request.user.pk, image_id=image_id)
        if image is None:
            raise NotFound(_("You have no image with this id."))
        return Response(ImageSerializer(selectors.image_payload(image)).data)


class AvatarView(APIView):
    @extend_schema(responses={200: AvatarOutputSerializer})
    def get(self, request: Request) -> Response:
        image_id = selectors.avatar_image_id(request.user.pk)
        url = selectors.on_demand_url(image_id, selectors.AVATAR_SIZE) if image_id else None
        return Response({"image": image_id, "url": url})

    @extend_schema(request=AvatarInputSerializer, responses={200: AvatarOutputSerializer})
    def put(self, request: Request) -> Response:
        """Show one of your ready images as your avatar (null removes it)."""
        data = AvatarInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        image = None
        if data.validated_data["image"] is not None:
            image = selectors.image_of(user_id=request.user.pk,
                                       image_id=data.validated_data["image"])  # fmt: skip
            if image is None:
                raise ValidationError({"image": [_("You have no image with this id.")]})
        services.avatar_set(user=request.user, image=image)
        url = selectors.on_demand_url(image.pk, selectors.AVATAR_SIZE) if image else None
        return Response({"image": image.pk if image else None, "url": url})
