"""Django REST framework, OpenAPI, API tokens (F7) and rate limits."""

from config.env import env

REST_FRAMEWORK = {
    # Bearer first: an unauthenticated API call gets 401 with `WWW-Authenticate: Bearer`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",  # nesting bounded: no RecursionError 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # General API rate limits run earlier, in accounts.middleware, so that requests which fail
    # authentication are counted too; credential endpoints add LoginRateThrottle.
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",  # documents each operation's errors too
}

SPECTACULAR_SETTINGS = {
    "TITLE": "InsightStock API",
    "DESCRIPTION": "Korean market data, news, portfolios, chat and media for the mobile apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Request and response components apart: an upload's file is then binary, not a URL string.
    "COMPONENT_SPLIT_REQUEST": True,
}

# API tokens: a signed access token (stateless) and a refresh token kept in Redis.
ACCESS_TOKEN_TTL_SECONDS = env.int("ACCESS_TOKEN_TTL_SECONDS", default=15 * 60)
REFRESH_TOKEN_TTL_SECONDS = env.int("REFRESH_TOKEN_TTL_SECONDS", default=7 * 24 * 3600)

# Requests per one-minute window, counted in Redis (F7).
RATE_LIMIT_ANON_PER_MINUTE = env.int("RATE_LIMIT_ANON_PER_MINUTE", default=120)
RATE_LIMIT_USER_PER_MINUTE = env.int("RATE_LIMIT_USER_PER_MINUTE", default=600)
# Login and token endpoints, per client IP and per username: slows down password guessing.
RATE_LIMIT_LOGIN_PER_MINUTE = env.int("RATE_LIMIT_LOGIN_PER_MINUTE", default=10)
# Behind a load balancer, how many proxies append to X-Forwarded-For (0: use the socket peer).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
