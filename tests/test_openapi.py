"""The OpenAPI document is valid and describes exactly the /api/v1 routes the app serves."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from certreg.api.docs import openapi_spec


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_document_is_valid_openapi_31(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_documented_and_every_documented_path_exists(app):
    documented = {
        (path, method.upper())
        for path, item in openapi_spec()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = _flask_to_openapi(rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def test_every_operation_documents_its_errors_and_has_an_id():
    ids = set()
    for path, item in openapi_spec()["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            assert operation.get("operationId"), f"{method} {path} has no operationId"
            assert operation["operationId"] not in ids
            ids.add(operation["operationId"])
            public = operation.get("security") == []
            if not public:
                assert "401" in operation["responses"], f"{method} {path} needs a 401 response"
            if method in {"post", "patch", "put"} and "requestBody" in operation:
                assert "422" in operation["responses"], f"{method} {path} needs a 422 response"
