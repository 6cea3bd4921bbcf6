"""schemathesis against the OpenAPI document: generated requests (valid and invalid) to every
documented operation never get a 500, and documented answers match their schemas.

The operations are walked in one test (schemathesis's pytest plugin does not collect under this
pytest); each runs its own hypothesis search, and every failure is reported at the end.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from security_world import build_world

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
EXAMPLES = 50  # per operation; `bench/` is the place for long fuzz runs


@sqlite_only
def test_fuzzed_api_requests_never_break_the_server(db):
    from portal.app import create_app
    from portal.settings import get_settings
    from search.index import rebuild

    build_world(db)  # institutions, complaints, open days and reviews to find
    rebuild(get_settings().index_dir, get_settings().database_url)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app())
    labels, failures = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append((operation.label, str(exc)[:800]))
    assert "GET /api/v1/institutions/{institution_id}" in labels
    assert any(label.startswith("POST /open311/v2/requests") for label in labels), labels
    assert failures == []
