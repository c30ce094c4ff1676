"""Installs our admin site (rate-limited sign-in) as the default `admin.site`.

Its own module: an apps.py with two AppConfig classes would make Django pick neither by default.
"""

from django.contrib.admin.apps import AdminConfig


class InsightStockAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.InsightStockAdminSite"
