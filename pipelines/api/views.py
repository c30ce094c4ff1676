"""Staff API for the catalogue (L8): jobs, runs, run-now."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pipelines import selectors, services
from pipelines.api.serializers import (
    JobOutputSerializer,
    RunFilterSerializer,
    RunOutputSerializer,
)
from pipelines.registry import JOBS


class JobListView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: JobOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(JobOutputSerializer(selectors.job_overviews(), many=True).data)


class JobRunNowView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={202: RunOutputSerializer})
    def post(self, request: Request, name: str) -> Response:
        if name not in JOBS:
            raise NotFound(_("No job named %(name)s.") % {"name": repr(name)})
        run = services.job_run_now(name=name)
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunListView(generics.ListAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = RunOutputSerializer

    @extend_schema(parameters=[RunFilterSerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        filters = RunFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.recent_runs(**filters.validated_data)
