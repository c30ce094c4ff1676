"""Property-based API fuzzing (issue 10): every operation under /api/v1/ of our own OpenAPI
schema (served at /api/schema/), as a normal user and as staff, against the real test
PostgreSQL and Redis, with the app in-process (WSGI).

Checks: no 5xx, documented status codes, documented content types, bodies matching the schema.
`make test` runs a few examples per operation, derandomized (reproducible in CI); `make fuzz`
runs INSIGHTSTOCK_FUZZ_EXAMPLES (200 by default there) with a random seed.
"""

from __future__ import annotations

import os

import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django_redis import get_redis_connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from tests.fuzz.conftest import Identity, use_existing

EXAMPLES_ENV = "INSIGHTSTOCK_FUZZ_EXAMPLES"
DEFAULT_EXAMPLES = 10  # `make test` on 2 cores: the whole module in about 2 minutes
EXAMPLES = int(os.environ.get(EXAMPLES_ENV, DEFAULT_EXAMPLES))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

APPLICATION = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", APPLICATION).include(
    path_regex=r"^/api/v1/"
)

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Reproducible in `make test` (CI); `make fuzz` explores with a fresh seed each run.
    derandomize=EXAMPLES_ENV not in os.environ,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the world is built once per operation, on purpose
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


class _Rollback(Exception):
    pass


def _aim_at_real_objects(case: schemathesis.Case, identity: Identity) -> None:
    for name in list(case.path_parameters or {}):
        if name in identity.path_values:
            case.path_parameters[name] = use_existing(
                case.path_parameters[name], identity.path_values[name]
            )
    if not isinstance(case.body, dict):
        return
    for name, value in identity.body_values.items():
        if name in case.body:
            case.body[name] = use_existing(case.body[name], value)
    if "file" in case.body and case.path in identity.files:
        case.body["file"] = use_existing(case.body["file"], identity.files[case.path])
    if "refresh" in case.body:
        # A refresh token works once (then its reuse revokes the family): a fresh one each time.
        fresh = account_services.token_pair_issue(user=identity.user).refresh
        case.body["refresh"] = use_existing(case.body["refresh"], fresh)


def _call_and_validate(case: schemathesis.Case, identity: Identity) -> None:
    _aim_at_real_objects(case, identity)
    # Each example starts from the same world: its writes are rolled back, and the cache (which
    # is invalidated on commit, and nothing commits here) is emptied.
    get_redis_connection("default").flushdb()
    try:
        with transaction.atomic():
            case.call_and_validate(headers=identity.headers, checks=CHECKS)
            raise _Rollback
    except _Rollback:
        pass


@schema.parametrize()
@fuzz_settings
def test_api_as_user(case: schemathesis.Case, fuzz_world: dict[str, Identity]) -> None:
    _call_and_validate(case, fuzz_world["user"])


@schema.parametrize()
@fuzz_settings
def test_api_as_staff(case: schemathesis.Case, fuzz_world: dict[str, Identity]) -> None:
    _call_and_validate(case, fuzz_world["staff"])


def test_rate_limited_answers_match_the_schema(fuzz_world, settings) -> None:  # noqa: ANN001
    """The fuzz runs under raised limits so that 429s hide nothing; the 429 itself must still be
    a documented answer of every operation, with the documented body and a Retry-After."""
    settings.RATE_LIMIT_USER_PER_MINUTE = 0
    identity = fuzz_world["user"]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        case = operation.Case(path_parameters={n: identity.path_values[n] for n in names})
        response = case.call(headers=identity.headers)
        assert response.status_code == 429, operation.label
        assert int(response.headers["retry-after"][0]) >= 1
        case.validate_response(response, checks=CHECKS)
