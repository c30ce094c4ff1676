"""Stocks and market API (S1-S4, S7) for the mobile apps. Market data is public."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from stocks import selectors, services
from stocks.api.serializers import (
    MarketSnapshotSerializer,
    MarketStatisticsSerializer,
    PeriodSerializer,
    PricesOutputSerializer,
    RecentlyViewedSerializer,
    StockDetailQuerySerializer,
    StockFilterSerializer,
    StockOutputSerializer,
)


def _stock_or_error(code: str) -> dict:
    """The stock's cached detail; a malformed code is 400, an unknown one 404."""
    try:
        return selectors.stock_detail_or_raise(code)
    except ValueError as exc:
        # The selector's message is for logs (English, the repr of the input).
        raise ValidationError({"detail": _("A stock code is six digits, such as 005930.")}) from exc
    except selectors.UnknownStock as exc:
        raise NotFound(_("No listed stock has the code %(code)s.") % {"code": code}) from exc


class StockListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = StockOutputSerializer

    @extend_schema(parameters=[StockFilterSerializer])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # noqa: ANN201 - DRF's signature
        filters = StockFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return selectors.stock_list(**filters.validated_data)


class StockDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[StockDetailQuerySerializer], responses={200: StockOutputSerializer})
    def get(self, request: Request, code: str) -> Response:
        detail = _stock_or_error(code)
        query = StockDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not query.validated_data["live"]:
            user_id = request.user.pk if request.user.is_authenticated else None
            services.stock_view_record(user_id=user_id, stock_code=code)
        return Response(StockOutputSerializer(detail).data)


class StockPricesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[PeriodSerializer], responses={200: PricesOutputSerializer})
    def get(self, request: Request, code: str) -> Response:
        _stock_or_error(code)
        query = PeriodSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        payload = {
            "code": code,
            "period": period,
            "interval": "1m" if period == "1d" else "1d",
            "simulated": settings.STOCKS_PROVIDER == "simulated",
            "bars": selectors.price_bars_for_period(code, period),
        }
        return Response(PricesOutputSerializer(payload).data)


class RecentlyViewedView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RecentlyViewedSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(
            RecentlyViewedSerializer(selectors.recently_viewed_for(request.user.pk), many=True).data
        )


class MarketSnapshotView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MarketSnapshotSerializer})
    def get(self, request: Request) -> Response:
        return Response(MarketSnapshotSerializer(selectors.market_snapshot()).data)


class MarketStatisticsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MarketStatisticsSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(MarketStatisticsSerializer(selectors.market_statistics(), many=True).data)
