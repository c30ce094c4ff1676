"""Portfolio API (P1-P3): a user's own portfolios only. Another user's id is a 404, exactly as
an id that does not exist, on every endpoint."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import VALIDATION_ERROR_SCHEMA
from portfolio import csvfile, selectors, services
from portfolio.api.serializers import (
    GainYearQuerySerializer,
    GainYearSerializer,
    HistorySerializer,
    HoldingListField,
    HoldingSerializer,
    ImportedSerializer,
    ImportInputSerializer,
    PortfolioInputSerializer,
    PortfolioOutputSerializer,
    RowErrorSerializer,
    SaleSerializer,
    SummarySerializer,
    TransactionFilterSerializer,
    TransactionInputSerializer,
    TransactionOutputSerializer,
)
from portfolio.models import Portfolio, Transaction


def _portfolio(request: Request, portfolio_id: int) -> Portfolio:
    try:
        return selectors.portfolio_of(user_id=request.user.pk, portfolio_id=portfolio_id)
    except selectors.PortfolioNotFound as exc:
        raise NotFound(_("You have no portfolio with this id.")) from exc


# The services' field names for what the API calls them.
_API_FIELD = {"traded_on": "date", "kind": "side"}


def _service_call(function, **kwargs):  # noqa: ANN001, ANN003, ANN202 - any service
    """A service's ValidationError (by field) as the API's 400, in the API's field names."""
    try:
        return function(**kwargs)
    except DjangoValidationError as exc:
        raise ValidationError(
            {_API_FIELD.get(field, field): errors for field, errors in exc.message_dict.items()}
        ) from exc


def _portfolio_payload(portfolio: Portfolio) -> dict:
    return PortfolioOutputSerializer(portfolio).data


class PortfolioListView(APIView):
    @extend_schema(responses={200: PortfolioOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        portfolios = selectors.portfolio_list_for(request.user.pk)
        return Response(PortfolioOutputSerializer(portfolios, many=True).data)

    @extend_schema(request=PortfolioInputSerializer, responses={201: PortfolioOutputSerializer})
    def post(self, request: Request) -> Response:
        data = PortfolioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        portfolio = _service_call(
            services.portfolio_create, owner=request.user, name=data.validated_data["name"]
        )
        return Response(_portfolio_payload(portfolio), status=status.HTTP_201_CREATED)


class PortfolioDetailView(APIView):
    @extend_schema(responses={200: PortfolioOutputSerializer})
    def get(self, request: Request, portfolio_id: int) -> Response:
        return Response(_portfolio_payload(_portfolio(request, portfolio_id)))

    @extend_schema(request=PortfolioInputSerializer, responses={200: PortfolioOutputSerializer})
    def patch(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        data = PortfolioInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        portfolio = _service_call(
            services.portfolio_rename, portfolio=portfolio, name=data.validated_data["name"]
        )
        return Response(_portfolio_payload(portfolio))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, portfolio_id: int) -> Response:
        services.portfolio_delete(portfolio=_portfolio(request, portfolio_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TransactionPagination(PageNumberPagination):
    page_size = settings.PORTFOLIO_TRANSACTIONS_PAGE_SIZE


def _transaction_payload(record: Transaction) -> dict:
    return TransactionOutputSerializer(record).data


class TransactionListView(APIView):
    pagination_class = TransactionPagination  # also what the schema documents for GET

    @extend_schema(
        parameters=[TransactionFilterSerializer],
        responses={200: TransactionOutputSerializer(many=True)},
    )
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        filters = TransactionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        records = selectors.transactions_of(
            user_id=request.user.pk, portfolio_id=portfolio.pk,
            stock=filters.validated_data.get("stock") or None,
            kind=filters.validated_data.get("side") or None,
        )  # fmt: skip
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(records, request, view=self)
        return paginator.get_paginated_response(TransactionOutputSerializer(page, many=True).data)

    @extend_schema(request=TransactionInputSerializer, responses={201: TransactionOutputSerializer})
    def post(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        data = TransactionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = _service_call(
            services.transaction_record, portfolio=portfolio, data=data.to_input()
        )
        return Response(_transaction_payload(record), status=status.HTTP_201_CREATED)


class TransactionDetailView(APIView):
    def _record(self, request: Request, portfolio_id: int, transaction_id: int) -> Transaction:
        try:
            return selectors.transaction_of(
                user_id=request.user.pk, portfolio_id=portfolio_id, transaction_id=transaction_id
            )
        except selectors.PortfolioNotFound as exc:
            raise NotFound(_("You have no transaction with this id in this portfolio.")) from exc

    @extend_schema(responses={200: TransactionOutputSerializer})
    def get(self, request: Request, portfolio_id: int, transaction_id: int) -> Response:
        return Response(_transaction_payload(self._record(request, portfolio_id, transaction_id)))

    @extend_schema(request=TransactionInputSerializer, responses={200: TransactionOutputSerializer})
    def patch(self, request: Request, portfolio_id: int, transaction_id: int) -> Response:
        record = self._record(request, portfolio_id, transaction_id)
        current = {
            "side": record.kind, "stock": record.stock.code if record.stock else None,
            "quantity": record.quantity, "price": record.price, "fee": record.fee,
            "date": record.traded_on, "note": record.note,
        }  # fmt: skip
        # PATCH: the fields sent replace the record's, and the whole is checked again.
        if not isinstance(request.data, Mapping):
            raise ValidationError({"detail": _("Send an object of the fields to change.")})
        changes = {name: request.data[name] for name in request.data}
        if changes.get("date", "") is None:
            raise ValidationError(
                {"date": [_("A transaction keeps a date; send one to change it.")]}
            )
        data = TransactionInputSerializer(data={**current, **changes})
        data.is_valid(raise_exception=True)
        try:
            record = _service_call(services.transaction_update, record=record, data=data.to_input())
        except services.TransactionGone as exc:
            raise NotFound(_("You have no transaction with this id in this portfolio.")) from exc
        return Response(_transaction_payload(record))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, portfolio_id: int, transaction_id: int) -> Response:
        record = self._record(request, portfolio_id, transaction_id)
        try:
            _service_call(services.transaction_delete, record=record)
        except services.TransactionGone as exc:
            raise NotFound(_("You have no transaction with this id in this portfolio.")) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class HoldingsView(APIView):
    @extend_schema(responses={200: HoldingSerializer(many=True)})
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        summary = selectors.portfolio_summary(request.user.pk, portfolio.pk)
        return Response(HoldingListField().to_representation(summary["holdings"]))


class SummaryView(APIView):
    @extend_schema(responses={200: SummarySerializer})
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        return Response(
            SummarySerializer(selectors.portfolio_summary(request.user.pk, portfolio.pk)).data
        )


class OverallSummaryView(APIView):
    # Named apart from a portfolio's summary, which the path alone would give the same id.
    @extend_schema(operation_id="portfolios_overall_summary", responses={200: SummarySerializer})
    def get(self, request: Request) -> Response:
        return Response(SummarySerializer(selectors.portfolio_summary(request.user.pk)).data)


class GainsView(APIView):
    @extend_schema(
        parameters=[GainYearQuerySerializer],
        responses={200: GainYearSerializer(many=True)},
        description="Realised gains and dividends per year; with ?year= that year's sales.",
    )
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        query = GainYearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year")
        if year is None:
            years = selectors.realised_gains_by_year(request.user.pk, portfolio.pk)
            return Response(GainYearSerializer(years, many=True).data)
        sales = selectors.realised_gains_in(
            user_id=request.user.pk, portfolio_id=portfolio.pk, year=year
        )
        return Response(SaleSerializer(sales, many=True).data)


class HistoryView(APIView):
    @extend_schema(responses={200: HistorySerializer})
    def get(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        history = selectors.value_history(user_id=request.user.pk, portfolio_id=portfolio.pk)
        return Response(HistorySerializer(history).data)


class TransactionExportView(APIView):
    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request: Request, portfolio_id: int) -> HttpResponse:
        portfolio = _portfolio(request, portfolio_id)
        return csvfile.csv_download(user_id=request.user.pk, portfolio=portfolio)


# A refusal row by row; written out here because an anyOf can only hold plain schemas.
IMPORT_REFUSED_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["import_refused"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "integer"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["line", "field", "message", "code"],
            },
        },
    },
    "required": ["detail", "code", "errors"],
}


class TransactionImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=ImportInputSerializer,
        responses={
            201: ImportedSerializer,
            # Either the form itself was refused (no file, too large) or rows of the file were.
            400: OpenApiResponse(
                response={"anyOf": [IMPORT_REFUSED_SCHEMA, VALIDATION_ERROR_SCHEMA]},
                description="Nothing was imported",
            ),
        },
    )
    def post(self, request: Request, portfolio_id: int) -> Response:
        portfolio = _portfolio(request, portfolio_id)
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.PORTFOLIO_IMPORT_MAX_BYTES:
            raise ValidationError(
                {"file": [_("The file is over %(bytes)d bytes.")
                          % {"bytes": settings.PORTFOLIO_IMPORT_MAX_BYTES}]}
            )  # fmt: skip
        try:
            created = csvfile.transactions_import_csv(
                portfolio=portfolio, raw=upload.read(), max_rows=settings.PORTFOLIO_IMPORT_MAX_ROWS
            )
        except services.ImportRefused as exc:
            return Response(
                {"detail": _("Nothing was imported: %(count)d problems.")
                           % {"count": len(exc.errors)},
                 "code": "import_refused",
                 "errors": RowErrorSerializer(exc.errors, many=True).data},
                status=status.HTTP_400_BAD_REQUEST,
            )  # fmt: skip
        return Response({"imported": len(created)}, status=status.HTTP_201_CREATED)
