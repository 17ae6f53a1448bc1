"""Bad input from outside never answers 500 (issue 9): every route that takes it is tried.

The routes come from ``app.url_map`` and the OpenAPI document, so a new route is covered
without being listed here.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from certreg.vocabulary import Role
from tests.conftest import csrf_token, login
from tests.factories import make_company, make_token, make_user

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
#: The largest ids of an INTEGER and a BIGINT column.
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1

_ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _rules(app):
    # The session's app: the parametrisation is built at collection time from a throwaway app.
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def _collection_app():
    from certreg import create_app

    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", "SIGNING_KEYS_DIR": "/nonexistent"})


_APP = _collection_app()


def _fill(rule: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        converter, args, name = match.groups()
        if name in values:
            return values[name]
        if converter == "any":
            return args.split(",")[0].strip()
        if converter in ("int", "bigid"):
            return "1"
        return "x"

    return _ARG.sub(one, rule)


def _id_cases():
    """Every (method, path) with an id parameter, that id beyond its column's range."""
    cases = []
    for rule in _rules(_APP):
        ids = {name: conv for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}
        for name, conv in ids.items():
            limit = INT64_MAX if type(conv).__name__ == "BigIdConverter" else INT32_MAX
            for value in (limit + 1, 10**25):
                for method in sorted(rule.methods & set(METHODS)):
                    cases.append(pytest.param(method, _fill(rule.rule, {name: str(value)}),
                                              id=f"{method} {rule.rule} {name}={value}"))
    return cases


def _string_segment_cases():
    """Every (method, path) with a free text segment, given a NUL byte."""
    cases = []
    for rule in _rules(_APP):
        names = [name for name, conv in rule._converters.items() if type(conv).__name__ in ("UnicodeConverter",
                                                                                              "PathConverter")]
        for name in names:
            for method in sorted(rule.methods & set(METHODS)):
                cases.append(pytest.param(method, _fill(rule.rule, {name: "a%00b"}), id=f"{method} {rule.rule}"))
    return cases


def _get_routes():
    """Every GET route (path parameters filled with something plausible)."""
    return [pytest.param(_fill(rule.rule, {}), id=rule.rule)
            for rule in _rules(_APP) if "GET" in rule.methods and not rule.rule.startswith("/static")]


def _json_write_routes():
    return [pytest.param(method, _fill(rule.rule, {}), id=f"{method} {rule.rule}")
            for rule in _rules(_APP) if rule.rule.startswith("/api/")
            for method in sorted(rule.methods & {"POST", "PATCH", "PUT"})]


@pytest.fixture
def admin(client):
    user = make_user(Role.ADMIN, "KG")
    login(client, user)
    return user


def _send(client, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, headers=headers, **kwargs)


# --- 1. ids and page numbers beyond the column's range ------------------------------------------


def test_the_id_routes_are_found():
    paths = {p.values[1] for p in _id_cases()}
    assert f"/api/v1/companies/{INT32_MAX + 1}" in paths
    assert f"/api/v1/logbook/entries/{INT64_MAX + 1}/proof" in paths
    assert f"/registry/technicians/{INT32_MAX + 1}" in paths


@pytest.mark.parametrize(("method", "path"), _id_cases())
def test_an_id_beyond_its_column_is_not_found(client, admin, method, path):
    token = make_token(admin)
    data = {"csrf_token": csrf_token(client, "/")} if method == "POST" and not path.startswith("/api/") else None
    response = _send(client, method, path, token if path.startswith("/api/") else None, data=data)
    assert response.status_code == 404, response.get_data(as_text=True)[:500]
    if path.startswith("/api/"):
        assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/logbook/entries/99999999999", "/api/v1/logbook/entries/99999999999/proof"])
def test_an_entry_id_beyond_an_integer_is_simply_unknown(api, path):
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    response = api.get(path.removeprefix("/api/v1"))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/logbook/entries", "/logbook/stock"])
@pytest.mark.parametrize("kind", ["company", "technician"])
def test_a_holder_beyond_the_column_is_not_found(api, path, kind):
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    for value in (INT32_MAX + 1, 10**25):
        response = api.get(f"{path}?holder={kind}:{value}")
        assert response.status_code == 404, response.json
    response = api.get(f"{path}?holder={kind}:%C2%B2")  # "²": str.isdigit() says yes, int() says no
    assert response.status_code == 422 and response.json["error"]["fields"]["holder"][0]["code"] == "invalid_holder"


def test_a_holder_beyond_the_column_is_not_found_on_the_pages(client, admin):
    for value in (INT32_MAX + 1, 10**25):
        assert client.get(f"/logbook/export.csv?holder=company:{value}").status_code == 404
    # Not written as a number (a superscript two): a malformed reference, as on the API.
    assert client.get("/logbook/export.csv?holder=company:%C2%B2").status_code == 422


def _page_cases():
    from certreg.api.docs import openapi_spec

    with _APP.app_context():
        spec = openapi_spec()
    cases = []
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if operation and "{" not in path and any(p.get("name") == "page" for p in _parameters(spec, operation)):
            cases.append(pytest.param(path, id=path))
    return cases


def _parameters(spec, operation):
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            name = parameter["$ref"].rsplit("/", 1)[1]
            parameter = spec["components"]["parameters"][name]
        yield parameter


def test_the_paginated_operations_are_found():
    assert len(_page_cases()) >= 5


@pytest.mark.parametrize("path", _page_cases())
@pytest.mark.parametrize("page", [str(INT32_MAX + 1), "9999999999999999999999", "9" * 5000])
def test_a_page_number_beyond_range_is_refused(api, path, page):
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    response = api.get(f"{path}?page={page}&country=KG")
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"]["page"][0]["code"] == "out_of_range"


@pytest.mark.parametrize("days", ["99999999999", "%C2%B2", "-1"])
def test_the_expiring_window_is_bounded(api, days):
    api.token = make_token(make_user(Role.CERTIFYING_OFFICER, "KG"))
    response = api.get(f"/certificates?filter=expiring&days={days}")
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"]["days"][0]["code"] in ("out_of_range", "wrong_type")
    assert api.get("/certificates?filter=expiring&days=3650").status_code == 200


@pytest.mark.parametrize("path", _get_routes())
def test_huge_page_numbers_on_every_page_answer_without_error(client, admin, path):
    response = client.get(path + "?page=9999999999999999999999&per_page=9999999999999999999999")
    assert response.status_code < 500


# --- 2. control characters ------------------------------------------------------------------------


@pytest.mark.parametrize("path", _get_routes())
@pytest.mark.parametrize("value", ["a%00b", "%1B[31m%7F"])
def test_control_characters_in_any_query_parameter_are_refused(client, admin, path, value):
    token = make_token(admin)
    response = _send(client, "GET", f"{path}?q={value}&country={value}", token if path.startswith("/api/") else None)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    if path.startswith("/api/") or path.startswith("/.well-known/"):
        error = response.json["error"]
        assert error["code"] == "invalid_characters"
        assert error["fields"]["q"][0]["code"] == "invalid_characters"
    else:
        assert "control characters" in response.get_data(as_text=True)


def test_the_search_refuses_them_as_before(api):
    response = api.get("/search?q=ab%00")
    assert response.status_code == 422
    assert response.json["error"]["fields"]["q"][0]["code"] == "invalid_characters"


@pytest.mark.parametrize(("method", "path"), _string_segment_cases())
def test_control_characters_in_a_path_segment_name_nothing(client, admin, method, path):
    response = _send(client, method, path, make_token(admin) if path.startswith("/api/") else None)
    assert response.status_code == 404


def test_a_tab_in_a_query_parameter_is_refused_too(client, admin):
    assert client.get("/registry/technicians?q=a%09b").status_code == 422
    assert client.get("/registry/technicians?q=a%20b").status_code == 200


# --- 3. deeply nested JSON --------------------------------------------------------------------------


DEEP = [
    pytest.param("[" * 100_000 + "]" * 100_000, id="arrays"),
    pytest.param('{"a":' * 50_000 + "1" + "}" * 50_000, id="objects"),
]


@pytest.mark.parametrize("body", DEEP)
@pytest.mark.parametrize(("method", "path"), _json_write_routes())
def test_deeply_nested_json_is_refused_by_every_api_write(client, method, path, body):
    user = make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG"))
    response = _send(client, method, path, make_token(user), data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("body", DEEP)
def test_deeply_nested_json_is_refused_where_it_is_parsed(api, body):
    """The two surfaces of the report: a company's entry and an administrator's new company."""
    api.token = make_token(make_user(Role.COMPANY_USER, "KG", company=make_company(country_code="KG")))
    response = api.post("/logbook/entries", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    response = api.post("/companies", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"


def test_merely_invalid_or_shallow_json_keeps_its_answers(api):
    from certreg.inputs import MAX_JSON_DEPTH

    api.token = make_token(make_user(Role.ADMIN, "KG"))
    response = api.post("/companies", data="{not json", content_type="application/json")
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_json"
    response = api.post("/companies", data="[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, content_type="application/json")
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_json"


def test_the_depth_scan_ignores_brackets_in_strings():
    from certreg.inputs import MAX_JSON_DEPTH, json_too_deep

    assert not json_too_deep('{"a": "' + "[" * 1000 + '", "b": "\\"[[[["}')
    assert json_too_deep("[" * (MAX_JSON_DEPTH + 1))
    assert not json_too_deep('["' + '\\"' * 100_000)  # an unterminated string: linear, not quadratic


# --- 4. dates outside the calendar's useful range -------------------------------------------------


def _date_cases():
    from certreg.api.docs import openapi_spec

    with _APP.app_context():
        spec = openapi_spec()
    cases = []
    for path, item in spec["paths"].items():
        operation = item.get("get")
        if not operation or "{" in path:
            continue
        for parameter in _parameters(spec, operation):
            if parameter.get("schema", {}).get("format") == "date":
                cases.append(pytest.param(path, parameter["name"], id=f"{path} {parameter['name']}"))
    return cases


def test_the_date_parameters_are_found():
    assert ("/reports/anomalies", "date_from") in {tuple(p.values) for p in _date_cases()}


@pytest.mark.parametrize(("path", "name"), _date_cases())
@pytest.mark.parametrize("value", ["0052-12-14", "0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01"])
def test_a_date_outside_the_window_is_refused_on_its_field(api, path, name, value):
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    response = api.get(f"{path}?country=KG&year=2025&{name}={value}")
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"][name][0]["code"] == "out_of_range"


def test_dates_at_the_edges_of_the_window_are_accepted(api):
    api.token = make_token(make_user(Role.ADMIN, "KG"))
    assert api.get("/reports/anomalies?country=KG&date_from=1900-01-01&date_to=2200-12-31").status_code == 200


@pytest.mark.parametrize("path", ["/reports/anomalies", "/reports/anomalies.csv", "/logbook", "/audit"])
def test_the_pages_refuse_such_a_date_too(client, admin, path):
    response = client.get(f"{path}?country=KG&date_from=0052-12-14&date_to=0052-12-14")
    # The report pages refuse an invalid filter (422); the logbook and audit pages ignore it.
    assert response.status_code == (422 if path.startswith("/reports/") else 200)
