"""Tells drf-spectacular how the bearer authentication appears in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerAccessTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):  # noqa: ANN001 - signature set by the library
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
