"""Pages: the market dashboard (/), the stock list and a stock's page with its chart."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.http import NotFoundWithReason
from stocks import selectors, services
from stocks.forms import StockFilterForm
from stocks.panels import stock_panels_for

STOCKS_PER_PAGE = 30


def _recently_viewed(request: HttpRequest) -> list[dict]:
    if not request.user.is_authenticated:
        return []
    return selectors.recently_viewed_for(request.user.pk)


def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "stocks/dashboard.html",
        {
            "snapshot": selectors.market_snapshot(),
            "statistics": selectors.market_statistics(),
            "recently_viewed": _recently_viewed(request),
        },
    )


def stock_list(request: HttpRequest) -> HttpResponse:
    form = StockFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            filters = {"market": data["market"] or None, "search": data["q"] or None,
                       "ordering": data["ordering"] or "code"}  # fmt: skip
        else:
            messages.warning(request, _("Some filters were not understood and were ignored."))
    page = Paginator(selectors.stock_list(**filters), STOCKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "stocks/stock_list.html",
        {"form": form, "page": page, "query": query.urlencode(),
         "recently_viewed": _recently_viewed(request)},
    )  # fmt: skip


def stock_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        stock = selectors.stock_detail_or_raise(code)
    except ValueError as exc:
        raise NotFoundWithReason(_("A stock code is six digits, such as 005930.")) from exc
    except selectors.UnknownStock as exc:
        raise NotFoundWithReason(
            _("No listed stock has the code %(code)s.") % {"code": code}
        ) from exc
    services.stock_view_record(
        user_id=request.user.pk if request.user.is_authenticated else None, stock_code=code
    )
    return render(
        request,
        "stocks/stock_detail.html",
        {
            "stock": stock,
            "periods": selectors.PERIODS,
            "simulated": settings.STOCKS_PROVIDER == "simulated",
            "recently_viewed": _recently_viewed(request),
            "panels": stock_panels_for(request, code),
        },
    )
