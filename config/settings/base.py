"""Settings shared by every environment, all from the environment (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import env, var_dir

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime state (embedded services, uploads, collected static files) lives here, git-ignored.
VAR_DIR = var_dir()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") if DEBUG else env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only ever used with DEBUG on

INSTALLED_APPS = [
    "accounts.admin_config.InsightStockAdminConfig",  # django.contrib.admin with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # ours: cross-cutting first, then the domains
    "core",
    "cachekit",
    "accounts",
    "stocks",
    "news",
    "portfolio",
    "chat",
    "media",
    "pipelines",
]

AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",  # 503, not 500, when no connection is free
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ApiRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "media.context_processors.avatar",
            ],
        },
    },
]

# --- database (F2) -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must not as well
DATABASES["default"].setdefault("OPTIONS", {})
if env.int("DB_POOL_MAX_SIZE", default=20) > 0:
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=5),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=20),
        # seconds a request waits for a free connection before failing
        "timeout": env.float("DB_POOL_TIMEOUT", default=30.0),
    }
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- auth ----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "stocks:dashboard"
LOGOUT_REDIRECT_URL = "stocks:dashboard"
# Sessions are the database's: a Redis outage must not log anyone out (F3).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- i18n / time (Korean first) ------------------------------------------------------------------
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the apps' static folders, so a fresh run needs no collectstatic step.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded media are linked through the CDN when one is configured (M5), else served by us.
CDN_BASE_URL = env.str("CDN_BASE_URL", default="").rstrip("/")
MEDIA_URL = f"{CDN_BASE_URL}/media/" if CDN_BASE_URL else "/media-files/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# seed_demo sets publicly known passwords: allowed locally, refused in production unless forced.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)

# Request bodies: beyond this Django refuses them (413 JSON on the API).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- security headers ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- integrations, one file each -----------------------------------------------------------------
from config.settings.cache import *  # noqa: E402,F403
from config.settings.celery import *  # noqa: E402,F403
from config.settings.channels import *  # noqa: E402,F403
from config.settings.chat import *  # noqa: E402,F403
from config.settings.drf import *  # noqa: E402,F403
from config.settings.email import *  # noqa: E402,F403
from config.settings.logging import *  # noqa: E402,F403
from config.settings.media import *  # noqa: E402,F403
from config.settings.news import *  # noqa: E402,F403
from config.settings.portfolio import *  # noqa: E402,F403
from config.settings.redis import *  # noqa: E402,F403
from config.settings.stocks import *  # noqa: E402,F403

# The largest request body of any kind (bytes), refused with 413 before Django stores it
# (core.bodylimit): Django's ASGI handler writes a whole body to a temporary file first. The
# default leaves room for the largest upload and its multipart framing.
_largest_body = max(
    MEDIA_MAX_UPLOAD_BYTES,  # noqa: F405
    PORTFOLIO_IMPORT_MAX_BYTES,  # noqa: F405
    DATA_UPLOAD_MAX_MEMORY_SIZE,
)
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=_largest_body + 1024 * 1024)
# A request's head (request line and headers, bytes) and the time it may take to arrive, held by
# the server's HTTP protocol (core.server): over the size → 431, not complete in time → 408.
REQUEST_MAX_HEADER_BYTES = env.int("REQUEST_MAX_HEADER_BYTES", default=64 * 1024)
REQUEST_HEADER_TIMEOUT_SECONDS = env.float("REQUEST_HEADER_TIMEOUT_SECONDS", default=10.0)
