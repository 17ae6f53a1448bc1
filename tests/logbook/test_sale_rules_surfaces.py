"""The buyer-certificate and ban rules of a sale, refused and allowed, through the API and the CSV import.

``test_rules.py`` checks each rule through the service with its details; this repeats every
case through the two other surfaces, which must answer with the same stable code.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.certificates import services as certs
from certreg.extensions import db
from certreg.logbook.models import Entry, EntryKind
from tests import factories
from tests.logbook.builders import HEADER
from tests.logbook.conftest import TODAY, certify, set_annex_ab_ban, stock
from tests.logbook.test_import import run_import

SYSTEM = Actor.system("tests")


def _technician(categories, **dates):
    def make(people):
        return certify(people.kz_tech_record, categories, **dates).number
    return make


def _changed(change):
    def make(people):
        cert = certify(people.kz_tech_record, ("A1",))
        getattr(certs, change)(SYSTEM, cert, "Logbook not kept")
        db.session.commit()
        return cert.number
    return make


def _company(activity, category):
    def make(people):
        return certify(factories.make_company(country_code="KZ", activities=[activity]), (category,)).number
    return make


BAN = TODAY - timedelta(days=10)
CASES = {
    # refused: the buyer's certificate is not valid on the sale date ...
    "suspended": ("R-404A", TODAY, _changed("suspend"), "certificate_suspended"),
    "revoked": ("R-404A", TODAY, _changed("revoke"), "certificate_revoked"),
    "expired": ("R-404A", TODAY, _technician(("A1",), valid_from=TODAY - timedelta(days=800),
                                             valid_until=TODAY - timedelta(days=1)), "certificate_expired"),
    "not yet valid": ("R-404A", TODAY, _technician(("A1",), valid_from=TODAY + timedelta(days=10)),
                      "certificate_not_yet_valid"),
    # ... or its categories do not allow that substance, or a company buyer has no buying activity
    "hydrocarbon, category I": ("R-290", TODAY, _technician(("I",), valid_until=TODAY + timedelta(days=300)),
                                "category_not_allowed"),
    "company, destruction only": ("R-404A", TODAY, _company("destruction", "CO-DESTRUCT"), "activity_not_certified"),
    "virgin CFC after the ban": ("CFC-12", TODAY, _technician(("A1",)), "virgin_ods_banned"),
    # allowed
    "hydrocarbon, A2": ("R-290", TODAY, _technician(("A2",)), None),
    "company, service": ("R-404A", TODAY, _company("service", "CO-SERVICE"), None),
    "virgin CFC before the ban": ("CFC-12", BAN - timedelta(days=1), _technician(("A1",)), None),
}


@pytest.fixture
def ban(people):
    set_annex_ab_ban("KZ", BAN)
    db.session.commit()


def _sales(people) -> list[Entry]:
    return list(db.session.scalars(sa.select(Entry).where(Entry.kind == EntryKind.SALE)))


@pytest.mark.parametrize("case", CASES)
def test_through_the_api(api, people, ban, case):
    substance, day, buyer, code = CASES[case]
    api.token = factories.make_token(people.dealer_user)
    stocked = api.post("/logbook/entries", json={
        "kind": "import", "operation_date": (BAN - timedelta(days=20)).isoformat(), "substance": substance,
        "quantity": 100, "import_licence": "KZ-IMP-9", "customs_declaration": "DECL-9", "origin_country": "CN",
        "exporter_name": "Example Chemical Co."})
    assert stocked.status_code == 201, stocked.get_json()
    response = api.post("/logbook/entries", json={
        "kind": "sale", "operation_date": day.isoformat(), "substance": substance, "quantity": 10,
        "buyer_certificate": buyer(people)})
    if code is None:
        assert response.status_code == 201, response.get_json()
        assert stock(people.dealer, substance) == Decimal("90") and len(_sales(people)) == 1
    else:
        assert response.status_code == 422 and response.get_json()["error"]["code"] == code, response.get_json()
        assert "buyer_certificate" in response.get_json()["error"]["fields"] or code == "virgin_ods_banned"
        assert stock(people.dealer, substance) == Decimal("100") and _sales(people) == []


@pytest.mark.parametrize("case", CASES)
def test_through_the_csv_import(app, tmp_path, people, ban, case):
    substance, day, buyer, code = CASES[case]
    number = buyer(people)
    text = (HEADER.strip() + ",buyer_certificate\n"
            f"{BAN - timedelta(days=20)},import,{substance},100,virgin,,LIC-1,DECL-1,CN,Example Chemical Co.,,,INV-1,\n"
            f"{day},sale,{substance},10,virgin,,,,,,,,INV-2,{number}\n")
    result = run_import(app, tmp_path, people, text)
    if code is None:
        assert result.exit_code == 0, result.output
        assert stock(people.dealer, substance) == Decimal("90") and len(_sales(people)) == 1
    else:
        assert result.exit_code == 1 and "line 3:" in result.output and f"[{code}]" in result.output, result.output
        assert stock(people.dealer, substance) == 0 and _sales(people) == []  # all or nothing
