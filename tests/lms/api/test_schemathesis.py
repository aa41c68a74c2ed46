"""Schemathesis runs every operation of /api/v1/openapi.json against the WSGI app, with a
valid token that may write, and finds no server error (5xx).

The operations are driven with Hypothesis directly (schemathesis' pytest plugin does not
run under pytest 9), each with valid and with invalid data.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from lms.api import tokens

# A few examples per operation and mode keep the whole run short on a slow machine.
EXAMPLES = 5


@pytest.fixture
def keep_test_connection():
    """As Django's test client does: the raw WSGI handler would otherwise close the
    database connection (and with it the test's transaction) after each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_operation_answers_with_a_server_error(world, jakarta_admin, keep_test_connection):
    secret = tokens.token_create(
        by=jakarta_admin, name="Schemathesis", city=world.jakarta, can_write_enrolments=True
    ).secret
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    seen: dict[str, set[int]] = {}

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # The token's own city half the time, so the reports' code runs too.
            fixed = {"slug": "jakarta"} if "{slug}" in operation.path and mode.is_positive else None

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def run(case):
                response = case.call(headers={"Authorization": f"Bearer {secret}"})
                case.validate_response(response, checks=[not_a_server_error])
                content_type = response.headers.get("content-type", [""])[0]
                label = case.operation.label
                assert content_type.startswith("application/json"), (label, content_type)
                seen.setdefault(label, set()).add(response.status_code)

            run()

    assert len(seen) == 9
    # Valid data reached the endpoints themselves, not only the error handlers.
    assert 200 in seen["GET /api/v1/courses"]
    assert 200 in seen["GET /api/v1/cities/{slug}/report"]
