"""Pages: the overview of a user's portfolios (/portfolio/) and one portfolio's page, with the
forms that change them. Only the signed-in user's own portfolios exist here (P2)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.http import NotFoundWithReason
from portfolio import csvfile, selectors, services
from portfolio.forms import ImportForm, PortfolioForm, TransactionForm
from portfolio.models import Portfolio


def _own(request: HttpRequest, portfolio_id: int) -> Portfolio:
    try:
        return selectors.portfolio_of(user_id=request.user.pk, portfolio_id=portfolio_id)
    except selectors.PortfolioNotFound as exc:
        raise NotFoundWithReason(_("You have no portfolio with this number.")) from exc


def _add_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)  # type: ignore[attr-defined]


@login_required
def overview(request: HttpRequest, form: PortfolioForm | None = None) -> HttpResponse:
    user_id = request.user.pk
    overview = selectors.portfolio_overview_for(user_id)
    summaries = overview["by_portfolio"]
    portfolios = [
        {**p, "summary": summaries[p["id"]]}
        for p in selectors.portfolio_list_for(user_id)
        if p["id"] in summaries
    ]
    return render(
        request,
        "portfolio/overview.html",
        {"portfolios": portfolios, "summary": overview["overall"],
         "form": form or PortfolioForm()},
        status=400 if form is not None and form.errors else 200,
    )  # fmt: skip


@login_required
@require_POST
def portfolio_create(request: HttpRequest) -> HttpResponse:
    form = PortfolioForm(request.POST)
    if form.is_valid():
        try:
            portfolio = services.portfolio_create(
                owner=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Portfolio “%(name)s” created.") % {"name": portfolio.name})
            return redirect("portfolio:detail", portfolio_id=portfolio.pk)
    return overview(request, form=form)


def _detail(request: HttpRequest, portfolio: Portfolio, *, status: int = 200,
            **forms: object) -> HttpResponse:  # fmt: skip
    user_id = request.user.pk
    records = selectors.transactions_of(user_id=user_id, portfolio_id=portfolio.pk)
    page = Paginator(records, settings.PORTFOLIO_TRANSACTIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portfolio/detail.html",
        {
            "portfolio": portfolio,
            "summary": selectors.portfolio_summary(user_id, portfolio.pk),
            "gains": selectors.realised_gains_by_year(user_id, portfolio.pk),
            "page": page,
            "transaction_form": forms.get("transaction_form") or TransactionForm(),
            "import_form": forms.get("import_form") or ImportForm(),
            "rename_form": forms.get("rename_form")
            or PortfolioForm(initial={"name": portfolio.name}),
            "import_errors": forms.get("import_errors", []),
        },
        status=status,
    )


@login_required
@require_safe
def detail(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    return _detail(request, _own(request, portfolio_id))


@login_required
@require_POST
def transaction_add(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _own(request, portfolio_id)
    form = TransactionForm(request.POST)
    if form.is_valid():
        try:
            services.transaction_record(portfolio=portfolio, data=form.to_input())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Transaction recorded."))
            return redirect("portfolio:detail", portfolio_id=portfolio.pk)
    return _detail(request, portfolio, status=400, transaction_form=form)


@login_required
@require_POST
def transaction_delete(
    request: HttpRequest, portfolio_id: int, transaction_id: int
) -> HttpResponse:
    portfolio = _own(request, portfolio_id)
    try:
        record = selectors.transaction_of(
            user_id=request.user.pk, portfolio_id=portfolio.pk, transaction_id=transaction_id
        )
    except selectors.PortfolioNotFound as exc:
        raise NotFoundWithReason(_("This portfolio has no such transaction.")) from exc
    try:
        services.transaction_delete(record=record)
    except services.TransactionGone as exc:
        raise NotFoundWithReason(_("This portfolio has no such transaction.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Transaction deleted."))
    return redirect("portfolio:detail", portfolio_id=portfolio.pk)


@login_required
@require_POST
def portfolio_rename(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _own(request, portfolio_id)
    form = PortfolioForm(request.POST)
    if form.is_valid():
        try:
            services.portfolio_rename(portfolio=portfolio, name=form.cleaned_data["name"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Portfolio renamed."))
            return redirect("portfolio:detail", portfolio_id=portfolio.pk)
    return _detail(request, portfolio, status=400, rename_form=form)


@login_required
@require_POST
def portfolio_delete(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _own(request, portfolio_id)
    services.portfolio_delete(portfolio=portfolio)
    messages.success(request, _("Portfolio “%(name)s” deleted.") % {"name": portfolio.name})
    return redirect("portfolio:overview")


@login_required
@require_POST
def transactions_import(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = _own(request, portfolio_id)
    form = ImportForm(request.POST, request.FILES)
    errors: list = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.PORTFOLIO_IMPORT_MAX_BYTES:
            form.add_error("file", _("The file is too large."))
        else:
            try:
                created = csvfile.transactions_import_csv(
                    portfolio=portfolio, raw=upload.read(),
                    max_rows=settings.PORTFOLIO_IMPORT_MAX_ROWS,
                )  # fmt: skip
            except services.ImportRefused as exc:
                errors = exc.errors
                messages.error(request, _("Nothing was imported: the file has %(count)d "
                                          "problems.") % {"count": len(errors)})  # fmt: skip
            else:
                messages.success(
                    request, _("%(count)d transactions imported.") % {"count": len(created)}
                )
                return redirect("portfolio:detail", portfolio_id=portfolio.pk)
    return _detail(request, portfolio, status=400, import_form=form, import_errors=errors)


@login_required
@require_safe
def transactions_export(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    return csvfile.csv_download(user_id=request.user.pk, portfolio=_own(request, portfolio_id))
