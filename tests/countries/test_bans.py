"""The bans follow each control group's phase-out for the country's Party group (issue 9, items 8 and 9).

No demo data here: a country gets the Protocol's dates out of the box. Each refusal has its
legal neighbour: before the date, with an exempted use stated, or a group not banned.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from certreg.actors import Actor
from certreg.countries import services as countries
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import canonical, drafts, holders, recording, verify
from certreg.logbook.models import Entry, EntryKind, ExemptedUse
from certreg.registry.models import Country
from certreg.vocabulary import HolderKind, Role
from tests import factories
from tests.conftest import count_rows

SYSTEM = Actor.system("tests")
DAY = date(2026, 3, 1)
PROOF = dict(import_licence="IMP-2026-1", customs_declaration="DECL-2026-1", origin_country="CN",
             exporter_name="Zhejiang Example Chemical Co.")


def importer(country_code: str = "KG") -> holders.Holder:
    company = factories.make_company(country_code=country_code, activities=["importer", "dealer"])
    return holders.holder(HolderKind.COMPANY, company.id)


def import_(who: holders.Holder, substance: str, *, on: date = DAY, kg: str = "10", **extra) -> Entry:
    data = dict(kind="import", operation_date=on, substance=substance, quantity=Decimal(kg), condition="virgin",
                **PROOF)
    if who.country_code == "CN":
        data["origin_country"] = "IN"
    data.update(extra)
    entry = recording.record_entry(SYSTEM, who, drafts.EntryData(**data))
    db.session.flush()
    return entry


def refused(call, code: str) -> ValidationFailed:
    db.session.commit()
    before = count_rows(Entry)["logbook_entries"]
    with pytest.raises(ValidationFailed) as info:
        call()
    assert info.value.code == code, (info.value.code, info.value.message)
    roll_back(info.value)
    assert count_rows(Entry)["logbook_entries"] == before
    return info.value


def test_a_fresh_country_bans_a_virgin_cfc_12_import_out_of_the_box():
    db.session.add(Country(code="BY", name="Belarus"))  # created without the demo, no setting of any kind
    db.session.commit()
    who = importer("BY")
    error = refused(lambda: import_(who, "CFC-12"), "virgin_ods_banned")
    assert "1996-01-01" in error.message and "condition" in error.fields
    assert import_(who, "HFC-134a").kind is EntryKind.IMPORT  # Annex F: phased down, never banned


def test_an_unlisted_country_gets_the_article_5_dates():
    db.session.add(Country(code="FR", name="France"))
    db.session.commit()
    who = importer("FR")
    refused(lambda: import_(who, "CFC-12"), "virgin_ods_banned")
    assert import_(who, "CFC-12", on=date(2009, 12, 31)).kind is EntryKind.IMPORT  # Article 5: 2010


@pytest.mark.parametrize("substance,group,banned_from", [
    ("bromochloromethane", "C/III", date(2002, 1, 1)),
    ("HBFC-22B1", "C/II", date(1996, 1, 1)),
    ("CFC-12", "A/I", date(2010, 1, 1)),
    ("halon-1211", "A/II", date(2010, 1, 1)),
    ("CTC", "B/II", date(2010, 1, 1)),
    ("methyl-bromide", "E/I", date(2015, 1, 1)),
    ("R-502", "A/I", date(2010, 1, 1)),  # a blend with a CFC component
])
def test_a_virgin_import_of_a_phased_out_group_is_refused_in_2026_and_accepted_the_day_before_its_ban(
        substance, group, banned_from):
    who = importer("KG")  # an Article 5 Party
    error = refused(lambda: import_(who, substance), "virgin_ods_banned")
    annex, number = group.split("/")
    assert f"Annex {annex} group {number}" in error.message and banned_from.isoformat() in error.message
    refused(lambda: import_(who, substance, on=banned_from), "virgin_ods_banned")
    day_before = date(banned_from.year - 1, 12, 31)
    assert import_(who, substance, on=day_before).operation_date == day_before


def test_the_party_group_decides_the_date():
    kz, kg = importer("KZ"), importer("KG")  # non-Article 5 and Article 5
    refused(lambda: import_(kz, "methyl-bromide", on=date(2010, 6, 1)), "virgin_ods_banned")  # 2005
    assert import_(kg, "methyl-bromide", on=date(2010, 6, 1)).kind is EntryKind.IMPORT  # 2015


def test_hcfcs_are_not_banned_yet_and_a_virgin_sale_after_the_ban_is_refused_too():
    who = importer("KG")
    assert import_(who, "HCFC-22", kg="100").kind is EntryKind.IMPORT  # Article 5: servicing tail to 2040
    import_(who, "bromochloromethane", on=date(2001, 6, 1), kg="5")
    buyer = factories.make_company(country_code="KG", activities=["service", "dealer"])
    cert = factories.make_certificate(buyer, categories=("CO-DEALER",))
    refused(lambda: recording.record_entry(SYSTEM, who, drafts.EntryData(
        kind="sale", operation_date=DAY, substance="bromochloromethane", quantity=Decimal("1"), condition="virgin",
        buyer_certificate=cert.number)), "virgin_ods_banned")


@pytest.mark.parametrize("use", ["feedstock", "process_agent", "laboratory", "essential_use"])
def test_an_import_for_an_exempted_use_passes_the_ban(use):
    who = importer("KG")
    entry = import_(who, "bromochloromethane", exempted_use=use, exemption_reference="Decision XXXV/6")
    assert entry.exempted_use is ExemptedUse(use) and entry.exemption_reference == "Decision XXXV/6"


def test_critical_and_quarantine_uses_are_for_methyl_bromide_only():
    who = importer("KG")
    assert import_(who, "methyl-bromide", exempted_use="quarantine").exempted_use is ExemptedUse.QUARANTINE
    assert import_(who, "methyl-bromide", exempted_use="critical_use").exempted_use is ExemptedUse.CRITICAL_USE
    refused(lambda: import_(who, "CFC-12", exempted_use="critical_use"), "exemption_not_applicable")
    refused(lambda: import_(who, "bromochloromethane", exempted_use="quarantine"), "exemption_not_applicable")


def test_an_exemption_is_stated_with_its_use_and_only_on_trade():
    who = importer("KG")
    refused(lambda: import_(who, "bromochloromethane", exemption_reference="Decision XXXV/6"), "required")
    refused(lambda: import_(who, "CFC-12", exempted_use="medical"), "invalid_choice")
    import_(who, "HCFC-22", kg="100")
    refused(lambda: recording.record_entry(SYSTEM, who, drafts.EntryData(
        kind="destroyed", operation_date=DAY, substance="HCFC-22", quantity=Decimal("1"), condition="virgin",
        counterparty_name="Destruction Co.", exempted_use="feedstock")), "not_applicable")


def test_a_national_date_replaces_the_protocols_and_clearing_it_returns_to_the_default():
    who = importer("KG")
    countries.update_settings(SYSTEM, "KG", {"ban_C_I": date(2025, 1, 1)})  # stricter: HCFCs banned early
    refused(lambda: import_(who, "HCFC-22"), "virgin_ods_banned")
    countries.update_settings(SYSTEM, "KG", {"ban_E_I": "2020-01-01"})  # later than the Protocol's 2015
    assert import_(who, "methyl-bromide", on=date(2016, 1, 1)).kind is EntryKind.IMPORT
    countries.update_settings(SYSTEM, "KG", {"ban_C_I": None, "ban_E_I": ""})
    assert import_(who, "HCFC-22").kind is EntryKind.IMPORT
    refused(lambda: import_(who, "methyl-bromide", on=date(2016, 1, 1)), "virgin_ods_banned")


def test_exempted_entries_keep_the_log_verifiable_and_other_entries_hash_as_before():
    who = importer("KG")
    plain = import_(who, "HCFC-22", kg="100")
    exempted = import_(who, "bromochloromethane", exempted_use="laboratory", exemption_reference="Lab licence 7")
    db.session.commit()
    report = verify.verify_log("KG")
    assert report.ok, report.problems
    columns = [c.name for c in Entry.__table__.columns]
    plain_doc = canonical.document({c: getattr(plain, c) for c in columns}, [])
    assert "exempted_use" not in plain_doc and "exemption_reference" not in plain_doc
    doc = canonical.document({c: getattr(exempted, c) for c in columns}, [])
    assert doc["exempted_use"] == "laboratory" and doc["exemption_reference"] == "Lab licence 7"
    assert list(doc) == sorted(doc)


def test_through_the_api(api):
    company = factories.make_company(country_code="KG", activities=["importer"])
    api.token = factories.make_token(factories.make_user(Role.COMPANY_USER, "KG", company=company))
    body = {"kind": "import", "operation_date": DAY.isoformat(), "substance": "HBFC-22B1", "quantity": 5, **PROOF}
    response = api.post("/logbook/entries", json=body)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "virgin_ods_banned"
    before = api.post("/logbook/entries", json={**body, "operation_date": "1995-12-31"})
    assert before.status_code == 201, before.get_json()
    exempted = api.post("/logbook/entries", json={**body, "exempted_use": "feedstock",
                                                  "exemption_reference": "Decision X/14"})
    assert exempted.status_code == 201, exempted.get_json()
    assert exempted.get_json()["exempted_use"] == "feedstock"
    assert exempted.get_json()["exemption_reference"] == "Decision X/14"
    wrong = api.post("/logbook/entries", json={**body, "exempted_use": "quarantine"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "exemption_not_applicable"
