"""The border check: each rule refuses its illegal case and accepts the legal neighbour; the decision and release."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Forbidden, InvalidState, ValidationFailed
from certreg.extensions import db
from certreg.licences import services as licences
from certreg.logbook.models import Entry
from certreg.logbook.queries import licence_used_kg
from certreg.shipments import border, ipic
from certreg.shipments.border import Rule
from certreg.shipments.models import Receipt, ShipmentStatus
from certreg.vocabulary import Role
from tests import factories
from tests.shipments.builders import SYSTEM, TODAY, expect, importer_with_licence


def _confirm_by_cn(company, kg="100"):
    return ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, "HCFC-22", kg)


def _outcome(shipment) -> dict[Rule, tuple[bool | None, str]]:
    return {r.rule: (r.ok, r.code) for r in border.border_check(SYSTEM, shipment.id).results}


@pytest.fixture
def company():
    return importer_with_licence()[0]


def test_a_shipment_that_passes_every_rule_is_suggested_for_release(company):
    _confirm_by_cn(company)
    check = border.border_check(SYSTEM, expect(company).id)
    assert check.passed and check.suggestion is ShipmentStatus.RELEASED
    assert check.confirmation is not None and check.confirmation.answer.value == "yes"
    assert {rule for rule, _ in [(r.rule, r.ok) for r in check.results]} == set(Rule)


def test_hs_code_rule(company):
    _confirm_by_cn(company)
    shipment = expect(company)
    assert _outcome(shipment)[Rule.HS_CODE] == (True, "ok")
    shipment.hs_code = "3827.31"  # declared as a mixture: data as it stood when the table changed
    outcome = _outcome(shipment)
    assert outcome[Rule.HS_CODE] == (False, "hs_code_mismatch")
    assert border.border_check(SYSTEM, shipment.id).suggestion is ShipmentStatus.REFUSED


def test_hs_code_rule_follows_the_codes_the_licence_lists():
    company, _ = importer_with_licence("KZ-IMP-HS", partners=("CN",))
    licences.issue(SYSTEM, "KZ", licences.LicenceData(
        number="KZ-IMP-1", company_registration=company.registration_number, direction="import",
        scope=["HCFC-22"], cap_kg="100", valid_from=TODAY, valid_until=TODAY, issuing_authority="Ministry",
        hs_codes=["2903.71.000.0"]))
    assert _outcome(expect(company))[Rule.HS_CODE] == (True, "ok")
    licences.get(SYSTEM, "KZ", "KZ-IMP-1").hs_codes = ["2903.72"]
    assert _outcome(expect(company, declaration_number="DT-HS-2"))[Rule.HS_CODE] == (False, "hs_code_not_licensed")


@pytest.mark.parametrize(("change", "code"), [
    ({"import_licence": "ANY-STRING-AT-ALL"}, "licence_unknown"),
    ({"substance": "HFC-134a", "hs_code": "2903.45"}, "licence_substance_not_covered"),
    ({"origin_country": "IN"}, "licence_partner_not_covered"),
    ({"kg": "100.5"}, "licence_cap_exceeded"),
])
def test_licence_rule(company, change, code):
    _confirm_by_cn(company, kg="1000")
    assert _outcome(expect(company))[Rule.LICENCE] == (True, "ok")
    assert _outcome(expect(company, **change))[Rule.LICENCE] == (False, code)


@pytest.mark.parametrize(("caps", "change", "code"), [
    # 40 kg of HCFC-22 (ODP 0.055) are 0.0022 ODP tonnes
    ({"cap_odp_t": Decimal("0.0022")}, {}, None),
    ({"cap_odp_t": Decimal("0.002199")}, {}, "licence_cap_odp_exceeded"),
    # 40 kg of HFC-134a (GWP 1430, Annex F) are 57.2 CO2-eq tonnes; under a licence naming all of Annex F
    ({"scope": ["F"], "cap_co2e_t": Decimal("57.2")}, {"substance": "HFC-134a", "hs_code": "2903.45"}, None),
    ({"scope": ["F"], "cap_co2e_t": Decimal("57.199")}, {"substance": "HFC-134a", "hs_code": "2903.45"},
     "licence_cap_co2e_exceeded"),
])
def test_licence_rule_checks_the_caps_in_odp_and_co2e_tonnes(company, caps, change, code):
    licence = licences.get(SYSTEM, "KZ", "KZ-IMP-1")
    for name, value in caps.items():
        setattr(licence, name, value)
    db.session.flush()
    shipment = expect(company, **change)
    assert _outcome(shipment)[Rule.LICENCE] == ((True, "ok") if code is None else (False, code))
    ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, shipment.substance_code, "40")
    if code is None:
        assert border.decide(SYSTEM, shipment, "released").entry_id is not None
        return
    with pytest.raises(ValidationFailed) as refused:
        border.decide(SYSTEM, shipment, "released")
    assert refused.value.code == "border_check_failed" and refused.value.fields["decision"][0].code == code


def test_licence_rule_follows_the_licence_status(company):
    shipment = expect(company)
    assert _outcome(shipment)[Rule.LICENCE] == (True, "ok")
    licences.change_status(SYSTEM, licences.get(SYSTEM, "KZ", "KZ-IMP-1"), "suspended", "Audit pending")
    assert _outcome(shipment)[Rule.LICENCE] == (False, "licence_not_active")


def test_quota_rule_comes_from_the_logbook_rule_path(company, monkeypatch):
    """The quota rule lives in check_entry: a quota refusal there is the border's quota row."""
    _confirm_by_cn(company)
    shipment = expect(company)
    assert _outcome(shipment)[Rule.QUOTA] == (True, "ok")

    def over_quota(prepared, ctx, stock, **_):
        raise ValidationFailed.for_field("quantity", "The importer has 10 kg of quota left.", "quota_exceeded")

    monkeypatch.setattr(border, "check_entry", over_quota)
    outcome = _outcome(shipment)
    assert outcome[Rule.QUOTA] == (False, "quota_exceeded")
    assert outcome[Rule.LICENCE] == (True, "ok") and outcome[Rule.IMPORT_RULES] == (True, "ok")


def test_quota_rule_reads_the_importers_quota_of_the_year(company):
    """The quota row from the quota ledger itself (read with the check's facts), not a stand-in: not enforced
    before any allocation of the year, then the importer's remaining quota in the shipment's group decides."""
    from certreg.quotas import services as quotas

    _confirm_by_cn(company)
    shipment = expect(company)  # 40 kg of HCFC-22: 0.0022 ODP tonnes of group C/I
    assert _outcome(shipment)[Rule.QUOTA] == (True, "ok")  # no quota allocated in KZ this year
    quotas.set_baseline(SYSTEM, "KZ", "C/I", "80", "test")
    other = factories.make_company(country_code="KZ", activities=["importer"])
    quotas.allocate(SYSTEM, "KZ", TODAY.year, "C/I", other.registration_number, "0.01", "test")
    assert _outcome(shipment)[Rule.QUOTA] == (False, "quota_exceeded")  # enforced now; this importer has none
    quotas.allocate(SYSTEM, "KZ", TODAY.year, "C/I", company.registration_number, "0.002199", "test")
    assert _outcome(shipment)[Rule.QUOTA] == (False, "quota_exceeded")
    quotas.allocate(SYSTEM, "KZ", TODAY.year, "C/I", company.registration_number, "0.000001", "test")
    assert _outcome(shipment)[Rule.QUOTA] == (True, "ok")  # exactly what it needs
    assert border.border_check(SYSTEM, shipment.id).passed


def test_licence_rule_counts_what_was_released_under_the_licence(company):
    """The licence's cap less what earlier releases recorded under it (read with the check's facts)."""
    _confirm_by_cn(company, kg="100")
    for number in ("DT-USED-1", "DT-USED-2"):
        border.decide(SYSTEM, expect(company, declaration_number=number), "released")
    assert _outcome(expect(company, declaration_number="DT-USED-3", kg="20"))[Rule.LICENCE] == (True, "ok")
    assert _outcome(expect(company, declaration_number="DT-USED-4", kg="20.001"))[Rule.LICENCE] == (
        False, "licence_cap_exceeded")


def test_ipic_rule(company):
    shipment = expect(company)
    assert _outcome(shipment)[Rule.IPIC] == (False, "ipic_not_confirmed")
    assert border.border_check(SYSTEM, shipment.id).suggestion is ShipmentStatus.HELD
    _confirm_by_cn(company, kg="10")  # confirmed, but for less than the shipment
    assert _outcome(shipment)[Rule.IPIC] == (False, "ipic_not_confirmed")
    ipic.ask(SYSTEM, "KG", "KZ", company.registration_number, "HCFC-22", "100")  # another exporting country
    assert _outcome(shipment)[Rule.IPIC] == (False, "ipic_not_confirmed")
    _confirm_by_cn(company, kg="40")
    assert _outcome(shipment)[Rule.IPIC] == (True, "ok")


def test_import_rules_refuse_an_importer_without_the_activity(company):
    _confirm_by_cn(company)
    shipment = expect(company)
    assert _outcome(shipment)[Rule.IMPORT_RULES] == (True, "ok")
    company.activities = [a for a in company.activities if a.activity.value != "importer"]
    db.session.flush()
    outcome = _outcome(shipment)
    assert outcome[Rule.IMPORT_RULES] == (False, "handler_activity_missing")
    assert outcome[Rule.QUOTA][1] == "not_reached"


def test_release_records_the_import_entry_which_the_importer_confirms(company):
    _confirm_by_cn(company)
    shipment = expect(company)
    border.decide(SYSTEM, shipment, "released")
    entry = db.session.get(Entry, shipment.entry_id)
    assert entry.kind.value == "import" and entry.quantity == Decimal("40")
    assert (entry.customs_declaration, entry.import_licence, entry.origin_country) == (
        shipment.declaration_number, "KZ-IMP-1", "CN")
    assert shipment.status is ShipmentStatus.RELEASED and shipment.receipt is Receipt.PENDING
    assert licence_used_kg(licences.get(SYSTEM, "KZ", "KZ-IMP-1")) == Decimal("40")  # counts against the cap
    # the entry is in the country's log, with what it used of a quota: the tamper check finds nothing wrong
    from certreg.logbook.verify import verify_log
    from certreg.quotas import services as quotas

    assert verify_log("KZ").ok
    quotas.set_baseline(SYSTEM, "KZ", "C/I", "80", "test")
    quotas.allocate(SYSTEM, "KZ", TODAY.year, "C/I", company.registration_number, "0.1", "test")
    second = expect(company, declaration_number="DT-QUOTA-2", kg="10")
    border.decide(SYSTEM, second, "released")  # this one uses the importer's quota: its use line joins the log
    assert second.status is ShipmentStatus.RELEASED and verify_log("KZ").ok
    with pytest.raises(InvalidState) as again:
        border.decide(SYSTEM, shipment, "seized", "second thoughts")
    assert again.value.code == "shipment_decided"
    user = factories.make_user(Role.COMPANY_USER, "KZ", company=company)
    other = factories.make_user(Role.COMPANY_USER, "KZ", company=factories.make_company(country_code="KZ"))
    with pytest.raises(Forbidden):
        border.answer_receipt(Actor.of(other), shipment, confirm=True)
    with pytest.raises(ValidationFailed) as no_reason:
        border.answer_receipt(Actor.of(user), shipment, confirm=False)
    assert no_reason.value.code == "reason_required"
    border.answer_receipt(Actor.of(user), shipment, confirm=True)
    assert shipment.receipt is Receipt.CONFIRMED
    with pytest.raises(InvalidState):
        border.answer_receipt(Actor.of(user), shipment, confirm=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == str(shipment.id),
                                                                    AuditEntry.action.like("shipment.%"))).all()
    assert sorted(actions) == ["shipment.decide", "shipment.expect", "shipment.receipt"]


def test_a_release_is_refused_while_a_rule_fails_and_nothing_is_written(company):
    shipment = expect(company)  # no iPIC confirmation
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    with pytest.raises(ValidationFailed) as refused:
        border.decide(SYSTEM, shipment, "released")
    assert refused.value.code == "border_check_failed"
    assert refused.value.fields["decision"][0].code == "ipic_not_confirmed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == before
    assert shipment.status is ShipmentStatus.EXPECTED and shipment.entry_id is None


def test_hold_refuse_and_seize_need_a_reason_and_are_audited(company):
    shipment = expect(company)
    with pytest.raises(ValidationFailed) as no_reason:
        border.decide(SYSTEM, shipment, "refused")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as bad:
        border.decide(SYSTEM, shipment, "expected")
    assert bad.value.code == "invalid_choice"
    border.decide(SYSTEM, shipment, "held", "Waiting for the exporting country's iPIC answer")
    assert shipment.status is ShipmentStatus.HELD  # a held shipment can still be decided
    border.decide(SYSTEM, shipment, "refused", "No iPIC confirmation")
    assert shipment.status is ShipmentStatus.REFUSED and shipment.entry_id is None
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "shipment.decide",
                                                           AuditEntry.object_id == str(shipment.id))).all()
    assert [a.reason for a in audit] == ["Waiting for the exporting country's iPIC answer", "No iPIC confirmation"]


def test_equipment_is_released_without_a_logbook_entry(company):
    _confirm_by_cn(company)
    shipment = expect(company, goods="equipment", hs_code="8415.10", product_description="Split air conditioners",
                      units="40", kg="38", cylinder_count=0, cylinder_serials=[])
    assert border.border_check(SYSTEM, shipment.id).passed
    border.decide(SYSTEM, shipment, "released")
    assert shipment.entry_id is None and shipment.receipt is Receipt.PENDING


def test_only_the_country_border_officials_decide(company):
    shipment = expect(company)
    for role, country in ((Role.AUDITOR, "KZ"), (Role.INSPECTOR, "KG"), (Role.CERTIFYING_OFFICER, "KZ")):
        with pytest.raises(Forbidden):
            border.decide(Actor.of(factories.make_user(role, country)), shipment, "held", "x")
    border.decide(Actor.of(factories.make_user(Role.INSPECTOR, "KZ")), shipment, "held", "x")
