from django.urls import path

from stocks.api import views

urlpatterns = [
    path("stocks/", views.StockListView.as_view(), name="stocks-list"),
    path("stocks/recent/", views.RecentlyViewedView.as_view(), name="stocks-recent"),
    # `str`, not a 6-digit pattern: a malformed code gets a 400 that says so, not a bare 404.
    path("stocks/<str:code>/", views.StockDetailView.as_view(), name="stocks-detail"),
    path("stocks/<str:code>/prices/", views.StockPricesView.as_view(), name="stocks-prices"),
    path("market/", views.MarketSnapshotView.as_view(), name="market-snapshot"),
    path("market/stats/", views.MarketStatisticsView.as_view(), name="market-stats"),
]
