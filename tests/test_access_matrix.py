"""Every route × every role × method answers as the matrix says (see tests/access.py)."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.access import ROLES, all_cases, build_world
from tests.conftest import CSRF_RE, login

CASES = all_cases()


def _client_for(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, world.users[role])
    return client


def _csrf(client, role) -> str:
    page = client.get("/login" if role == "anonymous" else "/account").get_data(as_text=True)
    match = CSRF_RE.search(page)
    return match.group(1) if match else ""


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c.id()}" for i, c in enumerate(CASES)])
def test_route_answers_each_role_as_expected(app, case):
    world = build_world()
    mismatches = []
    for role in ROLES:
        path = case.path(world)
        data = case.data(world) if case.data else {}
        if case.api:
            client = app.test_client()
            headers = dict(case.headers)
            if role != "anonymous":
                headers["Authorization"] = f"Bearer {world.tokens[role]}"
            response = client.open(path, method=case.method, json=data if case.method != "GET" else None,
                                   headers=headers)
        else:
            client = _client_for(app, world, role)
            if case.method == "GET":
                response = client.get(path, headers=case.headers)
            else:
                response = client.open(path, method=case.method, data={**data, "csrf_token": _csrf(client, role)},
                                       headers=case.headers)
        assert response.status_code < 500, f"{role} {case.method} {path}: {response.status_code}"
        if response.status_code != case.expected[role]:
            mismatches.append(f"{role}: expected {case.expected[role]}, got {response.status_code}")
    assert not mismatches, f"{case.method} {path}\n" + "\n".join(mismatches)


def test_every_route_and_method_is_in_the_matrix(app):
    """A new route without access cases fails here: add it to tests/<feature>/access_cases.py."""
    world = build_world()
    adapter = app.url_map.bind("localhost")
    covered = set()
    for case in CASES:
        path = case.path(world).split("?")[0]
        try:
            endpoint, _args = adapter.match(path, method=case.method)
        except (NotFound, MethodNotAllowed):
            pytest.fail(f"case {case.method} {path} matches no route")
        covered.add((endpoint, case.method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.endpoint, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without access cases:\n" + "\n".join(sorted(missing))
