"""The quota pages, API and command line: the same services, the same refusals with their codes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.quotas.models import QuotaLine, QuotaLineKind
from certreg.vocabulary import Role
from tests import factories
from tests.conftest import login, post_form

YEAR = date.today().year


@pytest.fixture
def importers():
    return [factories.make_company(country_code="KG", activities=["importer"]) for _ in range(2)]


@pytest.fixture
def admin_api(api):
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KG"))
    return api


def test_the_api_sets_a_baseline_allocates_moves_and_shows(admin_api, importers):
    first, second = importers
    put = admin_api.open("PUT", "/countries/KG/quotas/baselines",
                         json={"group": "C/I", "baseline": "10", "source": "Ozone Secretariat"})
    assert put.status_code == 200 and put.get_json()["unit"] == "odp_t"
    over = admin_api.post("/countries/KG/quotas/allocations",
                          json={"year": YEAR, "group": "C/I", "company": first.registration_number, "amount": 4})
    assert over.status_code == 422 and over.get_json()["error"]["fields"]["amount"][0]["code"] == "quota_over_limit"
    made = admin_api.post("/countries/KG/quotas/allocations",
                          json={"year": YEAR, "group": "C/I", "company": first.registration_number, "amount": "2"})
    assert made.status_code == 201 and made.get_json()["kind"] == "allocation" and made.get_json()["seq"] == 0
    moved = admin_api.post("/countries/KG/quotas/transfers", json={
        "year": YEAR, "group": "C/I", "from_company": first.registration_number,
        "to_company": second.registration_number, "amount": "0.5", "reason": "Agreed between them"})
    assert moved.status_code == 201 and moved.get_json()["out"]["amount"] == "-0.5"
    shown = admin_api.get(f"/countries/KG/quotas?year={YEAR}")
    [group] = shown.get_json()["groups"]
    assert (group["limit"], group["allocated"], group["remaining"]) == ("3.25", "2", "2")
    assert {i["registration"]: i["allocated"] for i in group["importers"]} == {
        first.registration_number: "1.5", second.registration_number: "0.5"}
    bad = admin_api.get("/countries/KG/quotas?year=3000")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_year"
    not_importer = admin_api.post("/countries/KG/quotas/transfers", json={
        "year": YEAR, "group": "C/I", "from_company": first.registration_number, "to_company": "NOPE",
        "amount": "0.1"})
    assert not_importer.get_json()["error"]["fields"]["to_company"][0]["code"] == "unknown_company"


def test_the_pages_allocate_and_show_each_group_and_importer(app, client, importers):
    first, second = importers
    login(client, factories.make_user(Role.ADMIN, "KG"))
    refused = post_form(client, "/quotas/allocate", {"year": str(YEAR), "group": "C/I",
                                                     "company": first.registration_number, "amount": "1"})
    assert refused.status_code == 422 and "Enter the country" in refused.get_data(as_text=True)  # baseline_missing
    assert post_form(client, "/quotas/baseline", {"group": "C/I", "baseline": "10",
                                                  "source": "Ozone Secretariat"}).status_code == 302
    assert post_form(client, "/quotas/allocate", {"year": str(YEAR), "group": "C/I",
                                                  "company": first.registration_number,
                                                  "amount": "1,5"}).status_code == 302
    assert post_form(client, "/quotas/transfer", {"year": str(YEAR), "group": "C/I",
                                                  "from_company": first.registration_number,
                                                  "to_company": second.registration_number,
                                                  "amount": "0.5"}).status_code == 302
    page = client.get(f"/quotas?year={YEAR}").get_data(as_text=True)
    assert 'data-figure="limit">3.25<' in page and 'data-figure="allocated">1.5<' in page
    assert f'data-importer="{second.registration_number}"' in page
    ledger = client.get(f"/quotas/{YEAR}/C/I").get_data(as_text=True)
    assert first.legal_name in ledger and "-0.5" in ledger


def test_the_command_line(app, importers):
    first, second = importers
    runner = app.test_cli_runner()
    base = runner.invoke(args=["quotas", "baseline", "--country", "kg", "--group", "F", "--baseline", "1000",
                               "--source", "Ozone Secretariat"])
    assert base.exit_code == 0 and "KG F: baseline 1000 co2e_t" in base.output, base.output
    made = runner.invoke(args=["quotas", "allocate", "--country", "KG", "--year", "2026", "--group", "F",
                               "--company", first.registration_number, "--amount", "600"])
    assert made.exit_code == 0, made.output
    over = runner.invoke(args=["quotas", "allocate", "--country", "KG", "--year", "2026", "--group", "F",
                               "--company", second.registration_number, "--amount", "400.5"])
    assert over.exit_code == 1 and "quota_over_limit" in over.output  # group 1, 2026: the freeze (100 %)
    moved = runner.invoke(args=["quotas", "transfer", "--country", "KG", "--year", "2026", "--group", "F",
                                "--from", first.registration_number, "--to", second.registration_number,
                                "--amount", "100"])
    assert moved.exit_code == 0, moved.output
    shown = runner.invoke(args=["quotas", "show", "--country", "KG", "--year", "2026"])
    assert "F\tco2e_t\tlimit 1000\tallocated 600" in shown.output
    assert f"  {second.registration_number}\t" in shown.output
    kinds = db.session.scalars(sa.select(QuotaLine.kind).order_by(QuotaLine.id)).all()
    assert kinds == [QuotaLineKind.ALLOCATION, QuotaLineKind.TRANSFER_OUT, QuotaLineKind.TRANSFER_IN]
