from django.urls import path

from portfolio.api import views

P = "portfolios/<int:portfolio_id>/"

urlpatterns = [
    path("portfolios/", views.PortfolioListView.as_view(), name="portfolios-list"),
    path("portfolios/summary/", views.OverallSummaryView.as_view(), name="portfolios-overall"),
    path(P, views.PortfolioDetailView.as_view(), name="portfolios-detail"),
    path(f"{P}transactions/", views.TransactionListView.as_view(), name="portfolios-transactions"),
    path(
        f"{P}transactions/export/", views.TransactionExportView.as_view(), name="portfolios-export"
    ),  # fmt: skip
    path(
        f"{P}transactions/import/", views.TransactionImportView.as_view(), name="portfolios-import"
    ),  # fmt: skip
    path(
        f"{P}transactions/<int:transaction_id>/",
        views.TransactionDetailView.as_view(),
        name="portfolios-transaction",
    ),  # fmt: skip
    path(f"{P}holdings/", views.HoldingsView.as_view(), name="portfolios-holdings"),
    path(f"{P}summary/", views.SummaryView.as_view(), name="portfolios-summary"),
    path(f"{P}gains/", views.GainsView.as_view(), name="portfolios-gains"),
    path(f"{P}history/", views.HistoryView.as_view(), name="portfolios-history"),
]
