"""Settings for a deployment behind HTTPS. DJANGO_SECRET_KEY is required (base.py).

`manage.py check --deploy` passes with the defaults (tests/security/test_deploy_check.py); each
HTTPS setting can be turned down from the environment, e.g. for a first deploy without TLS."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env
from config.settings.base import *  # noqa: F403

SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and orchestrators probe the process itself over plain HTTP: a redirect to
# HTTPS would fail every probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# A short HSTS by default, so a mistaken HTTPS set-up is undone within a minute; raise it to a
# year (31536000) once HTTPS is known to work for the domain and all its subdomains.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)
# Production serves what `manage.py collectstatic` gathered, with hashed names and compression.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=False)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}
# Mail must reach people: without a configured backend it would pile up as files on one host.
if not EMAIL_CONFIGURED:  # noqa: F405
    raise ImproperlyConfigured(
        "Set EMAIL_URL (e.g. smtp+ssl://user:password@mail.example:465) or EMAIL_HOST and the "
        "EMAIL_* variables: production does not write mail to files"
    )
# The sender people see (noreply@localhost would be refused or marked as spam): required.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
