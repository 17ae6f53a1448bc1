"""Property-based fuzzing of the whole API with schemathesis, against the served OpenAPI document.

Every operation, as an administrator and as a company user, a few derandomised examples
each (``FUZZ_EXAMPLES``): no answer may be a 5xx (in testing, unexpected exceptions
propagate and fail the test), and every answer's status, content type and body must be
the ones the document declares. Each operation runs inside the test's rolled-back
transaction, so writes that the fuzzer gets through leave nothing behind.

A larger run, by hand: ``python bench/fuzz_api.py`` (see there).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from certreg.vocabulary import Role
from tests.factories import make_company, make_token, make_user

#: Examples per operation and role in ``make test`` (``bench/fuzz_api.py`` runs many more).
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def not_a_server_error(ctx, response, case) -> None:
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def load_schema():
    """The document as the app serves it at ``/api/v1/openapi.json`` (a throwaway app: no database needed)."""
    from certreg import create_app

    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SIGNING_KEYS_DIR": "/nonexistent"})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = load_schema()


@pytest.fixture(params=["admin", "company_user"])
def token(request):
    if request.param == "admin":
        user = make_user(Role.ADMIN, "KG")
    else:
        user = make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG"))
    return make_token(user)


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case, app, token):
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
