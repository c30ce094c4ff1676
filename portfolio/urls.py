from django.urls import path

from portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("new/", views.portfolio_create, name="create"),
    path("<int:portfolio_id>/", views.detail, name="detail"),
    path("<int:portfolio_id>/rename/", views.portfolio_rename, name="rename"),
    path("<int:portfolio_id>/delete/", views.portfolio_delete, name="delete"),
    path("<int:portfolio_id>/transactions/", views.transaction_add, name="transaction-add"),
    path(
        "<int:portfolio_id>/transactions/<int:transaction_id>/delete/",
        views.transaction_delete,
        name="transaction-delete",
    ),  # fmt: skip
    path("<int:portfolio_id>/import/", views.transactions_import, name="import"),
    path("<int:portfolio_id>/export.csv", views.transactions_export, name="export"),
]
