"""News API (N3) for the mobile apps. News is public, like market data."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from core.openapi import error_response
from news import selectors
from news.api.serializers import (
    ArticleOutputSerializer,
    ArticlePageSerializer,
    NewsFilterSerializer,
)


def _page_url(request: Request, page: int) -> str:
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if page == 1 else replace_query_param(url, "page", page)


class NewsListView(APIView):
    permission_classes = [AllowAny]

    # An APIView's GET is a "retrieve" to drf-spectacular, the same id as the detail's.
    @extend_schema(
        operation_id="news_list",
        parameters=[NewsFilterSerializer],
        responses={200: ArticlePageSerializer, 404: error_response("`page` is past the last page")},
    )
    def get(self, request: Request) -> Response:
        filters = NewsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        page_number = filters.validated_data.pop("page")
        page_size = settings.NEWS_PAGE_SIZE
        page = selectors.news_page(page=page_number, page_size=page_size, **filters.validated_data)
        pages = max(1, -(-page["count"] // page_size))
        if page_number > pages:
            raise NotFound(
                _("Page %(page)d is past the last page, %(pages)d.")
                % {"page": page_number, "pages": pages}
            )
        payload = {
            "count": page["count"],
            "next": _page_url(request, page_number + 1) if page_number < pages else None,
            "previous": _page_url(request, page_number - 1) if page_number > 1 else None,
            "results": page["results"],
        }
        return Response(ArticlePageSerializer(payload).data)


class NewsDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: ArticleOutputSerializer})
    def get(self, request: Request, article_id: int) -> Response:
        article = selectors.news_detail(article_id)
        if article is None:
            raise NotFound(_("There is no article with the id %(id)s.") % {"id": article_id})
        return Response(ArticleOutputSerializer(article).data)
