"""The licence register: issuing (checked), status changes (audited), and the check of an import against a licence."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.licences import caps, services
from certreg.licences.models import LicenceDirection, LicenceStatus
from certreg.logbook import drafts, holders, recording
from certreg.logbook.queries import licence_used, licence_used_kg
from certreg.vocabulary import HolderKind
from tests import factories

SYSTEM = Actor.system("tests")
TODAY = date.today()


@pytest.fixture
def importer():
    return factories.make_company(country_code="KZ", activities=["importer", "dealer"])


def _data(company, **changes) -> services.LicenceData:
    values = dict(number="KZ-IMP-2026-0001", company_registration=company.registration_number, direction="import",
                  scope=["HCFC-22", "F"], cap_kg="100", valid_from=TODAY - timedelta(days=10),
                  valid_until=TODAY + timedelta(days=300), issuing_authority="Ministry of Ecology",
                  partner_countries=["cn"], cap_odp_t="0.0055")
    values.update(changes)
    return services.LicenceData(**values)


def _check(licence, company, **changes):
    values = dict(company_id=company.id, direction=LicenceDirection.IMPORT, substance_code="HCFC-22",
                  groups=["C/I"], on=TODAY, partner_country="CN", kg=Decimal("40"), used=licence_used)
    values.update(changes)
    return services.check(licence, **values)


def test_an_import_is_checked_against_every_condition_of_the_licence(importer):
    licence = services.issue(SYSTEM, "KZ", _data(importer))
    assert licence.partner_countries == ["CN"] and licence.status is LicenceStatus.ACTIVE
    assert _check(licence, importer) is licence  # the legal case
    other = factories.make_company(country_code="KZ", activities=["importer"])
    cases = {
        "licence_unknown": dict(company_id=other.id),
        "licence_wrong_direction": dict(direction=LicenceDirection.EXPORT),
        "licence_not_valid_on_date": dict(on=TODAY + timedelta(days=301)),
        "licence_substance_not_covered": dict(substance_code="CFC-12", groups=["A/I"]),
        "licence_partner_not_covered": dict(partner_country="IN"),
        "licence_cap_exceeded": dict(kg=Decimal("100.001")),
    }
    for code, change in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            _check(licence, importer, **change)
        assert refused.value.code == code, change
    assert _check(licence, importer, substance_code="R-404A", groups=["F"]).number == licence.number  # a group
    with pytest.raises(ValidationFailed) as unknown:
        _check(None, importer)
    assert unknown.value.code == "licence_unknown"


def test_the_cap_counts_the_imports_recorded_under_the_licence(importer):
    licence = services.issue(SYSTEM, "KZ", _data(importer))
    who = holders.holder(HolderKind.COMPANY, importer.id)
    recording.record_entry(SYSTEM, who, drafts.EntryData(
        kind="import", operation_date=TODAY, substance="HCFC-22", quantity=Decimal("70"), origin_country="CN",
        import_licence=licence.number, customs_declaration="D-1", exporter_name="Exporter"))
    assert licence_used_kg(licence) == Decimal("70")
    assert _check(licence, importer, kg=Decimal("30")) is licence
    with pytest.raises(ValidationFailed) as refused:
        _check(licence, importer, kg=Decimal("30.001"))
    assert refused.value.code == "licence_cap_exceeded"


def _import(licence, company, substance: str, kg: str) -> None:
    recording.record_entry(SYSTEM, holders.holder(HolderKind.COMPANY, company.id), drafts.EntryData(
        kind="import", operation_date=TODAY, substance=substance, quantity=Decimal(kg), origin_country="CN",
        import_licence=licence.number, customs_declaration="D-1", exporter_name="Exporter"))


def test_the_cap_in_odp_tonnes_counts_each_substance_at_its_odp(importer):
    """HCFC-22 has ODP 0.055: 40 kg are 0.0022 ODP tonnes; R-502 (48.8 % HCFC-22, 51.2 % CFC-115, ODP 0.6)
    counts by mass; the kg cap (1000) does not bind here."""
    licence = services.issue(SYSTEM, "KZ", _data(importer, scope=["C/I", "R-502"], cap_kg="1000",
                                                 cap_odp_t="0.0055"))
    _import(licence, importer, "HCFC-22", "60")  # 0.0033 ODP tonnes
    assert licence_used(licence) == {"HCFC-22": Decimal("60.000")}
    assert caps.usage(licence_used(licence)) == caps.Amounts(Decimal("60"), Decimal("0.0033"), Decimal(0))
    assert _check(licence, importer, kg=Decimal("40")) is licence  # 0.0055: exactly the cap
    with pytest.raises(ValidationFailed) as refused:
        _check(licence, importer, kg=Decimal("40.001"))
    assert refused.value.code == "licence_cap_odp_exceeded" and set(refused.value.fields) == {"import_licence"}
    assert "0.0022 ODP tonnes left" in refused.value.fields["import_licence"][0]
    r502 = caps.amounts_of("R-502", Decimal("1"))
    assert r502.odp_t == (Decimal("0.488") * Decimal("0.055") + Decimal("0.512") * Decimal("0.6")) / 1000
    assert _check(licence, importer, substance_code="R-502", groups=["C/I", "A/I"], kg=Decimal("6")) is licence
    with pytest.raises(ValidationFailed) as blend:  # 7 kg: 0.002338 ODP tonnes
        _check(licence, importer, substance_code="R-502", groups=["C/I", "A/I"], kg=Decimal("7"))
    assert blend.value.code == "licence_cap_odp_exceeded"
    assert caps.room_kg(licence, "HCFC-22", caps.usage(licence_used(licence))) == Decimal("40")


def test_the_cap_in_co2e_tonnes_counts_the_annex_f_components_only(importer):
    """R-404A: 44 % HFC-125 (GWP 3500), 52 % HFC-143a (4470), 4 % HFC-134a (1430): 3.9216 t CO2-eq per kg.
    HCFC-22 (Annex C, GWP 1810) is not counted in CO2-eq tonnes, as under the Kigali Amendment."""
    licence = services.issue(SYSTEM, "KZ", _data(importer, scope=["HCFC-22", "F"], cap_odp_t=None,
                                                 cap_co2e_t="39.216"))
    assert _check(licence, importer, kg=Decimal("40")) is licence  # HCFC-22: no CO2-eq tonnes
    assert _check(licence, importer, substance_code="R-404A", groups=["F"], kg=Decimal("10")) is licence
    with pytest.raises(ValidationFailed) as refused:
        _check(licence, importer, substance_code="R-404A", groups=["F"], kg=Decimal("10.001"))
    assert refused.value.code == "licence_cap_co2e_exceeded"
    _import(licence, importer, "R-404A", "2.5")  # 9.804 t
    used = caps.usage(licence_used(licence))
    assert used.co2e_t == Decimal("9.804") and used.odp_t == 0
    assert caps.room_kg(licence, "R-404A", used) == Decimal("7.5")
    assert caps.room_kg(licence, "HFC-134a", used) == Decimal("20.567")  # 29.412 t / 1.43 t per kg, to the gram
    assert _check(licence, importer, substance_code="HFC-134a", groups=["F/I"], kg=Decimal("20.567")) is licence
    with pytest.raises(ValidationFailed) as beyond:
        _check(licence, importer, substance_code="HFC-134a", groups=["F/I"], kg=Decimal("20.568"))
    assert beyond.value.code == "licence_cap_co2e_exceeded"
    assert caps.room_kg(licence, "HCFC-22", used) == Decimal("97.5")  # only the kg cap binds


def test_the_kept_used_kilograms_statement_counts_each_licence_apart(importer):
    """The statement is built once per direction and reused: each licence's number and holder come in bound, so
    one licence's imports never count against another's, asked in any order, in either direction."""
    first = services.issue(SYSTEM, "KZ", _data(importer))
    second = services.issue(SYSTEM, "KZ", _data(importer, number="KZ-IMP-2026-0002"))
    other = factories.make_company(country_code="KZ", activities=["exporter"])
    who = holders.holder(HolderKind.COMPANY, importer.id)
    for number, kg in ((first.number, "70"), (second.number, "12.5"), (first.number, "3")):
        recording.record_entry(SYSTEM, who, drafts.EntryData(
            kind="import", operation_date=TODAY, substance="HCFC-22", quantity=Decimal(kg), origin_country="CN",
            import_licence=number, customs_declaration=f"D-{number}-{kg}", exporter_name="Exporter"))
    assert [licence_used_kg(licence) for licence in (first, second, first)] == [Decimal("73"), Decimal("12.5"),
                                                                                   Decimal("73")]
    export = services.issue(SYSTEM, "KZ", _data(other, number="KZ-EXP-2026-0001", direction="export"))
    assert licence_used_kg(export) == Decimal("0") and licence_used_kg(first) == Decimal("73")  # the other statement


def test_status_changes_need_a_reason_are_audited_and_revocation_is_final(importer):
    licence = services.issue(SYSTEM, "KZ", _data(importer))
    with pytest.raises(ValidationFailed) as no_reason:
        services.change_status(SYSTEM, licence, "suspended", " ")
    assert no_reason.value.code == "reason_required"
    services.change_status(SYSTEM, licence, "suspended", "Customs inquiry")
    with pytest.raises(ValidationFailed) as suspended:
        _check(licence, importer)
    assert suspended.value.code == "licence_not_active"
    services.change_status(SYSTEM, licence, "active", "Inquiry closed")
    services.change_status(SYSTEM, licence, "revoked", "False declaration")
    with pytest.raises(ValidationFailed) as final:
        services.change_status(SYSTEM, licence, "active", "Appeal")
    assert final.value.code == "licence_revoked"
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-4:] == ["licence.issue", "licence.status", "licence.status", "licence.status"]


@pytest.mark.parametrize("change,field,code", [
    (dict(number=" "), "number", "required"),
    (dict(direction="sideways"), "direction", "invalid_choice"),
    (dict(direction="export"), "company_registration", "licence_activity_missing"),
    (dict(company_registration="NOPE"), "company_registration", "unknown_company"),
    (dict(scope=[]), "scope", "required"),
    (dict(cap_kg="-1"), "cap_kg", "invalid_number"),
    (dict(valid_until=TODAY - timedelta(days=11)), "valid_until", "invalid_date"),
    (dict(partner_countries=["KZ"]), "partner_countries", "invalid_choice"),
    (dict(issuing_authority=""), "issuing_authority", "required"),
])
def test_issuing_refuses_bad_licences_on_their_field(importer, change, field, code):
    with pytest.raises(ValidationFailed) as refused:
        services.issue(SYSTEM, "KZ", _data(importer, **change))
    assert refused.value.code == code and set(refused.value.fields) == {field}


def test_numbers_are_unique_per_country_and_only_officials_issue(importer):
    services.issue(SYSTEM, "KZ", _data(importer))
    with pytest.raises(ValidationFailed) as taken:
        services.issue(SYSTEM, "KZ", _data(importer))
    assert taken.value.code == "licence_number_taken"
    from certreg.vocabulary import Role

    clerk = factories.make_user(Role.COMPANY_USER, "KZ", company=importer)
    with pytest.raises(Forbidden):
        services.issue(Actor.of(clerk), "KZ", _data(importer, number="KZ-IMP-2"))


def test_the_command_line(app, importer):
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["licences", "issue", "--country", "kz", "--number", "KZ-IMP-9", "--company",
                                 importer.registration_number, "--direction", "import", "--scope", "HCFC-22",
                                 "--cap-kg", "500", "--valid-from", TODAY.isoformat(), "--valid-until",
                                 (TODAY + timedelta(days=30)).isoformat(), "--authority", "Ministry",
                                 "--partner", "CN"])
    assert issued.exit_code == 0, issued.output
    assert "KZ-IMP-9\timport\tactive\tHCFC-22\t0.000/500.000 kg" in issued.output
    suspended = runner.invoke(args=["licences", "status", "KZ-IMP-9", "--country", "KZ", "--set", "suspended",
                                    "--reason", "Inquiry"])
    assert suspended.exit_code == 0 and "\tsuspended\t" in suspended.output
    assert "KZ-IMP-9" in runner.invoke(args=["licences", "list", "--country", "KZ"]).output
    unknown = runner.invoke(args=["licences", "status", "NOPE", "--country", "KZ", "--set", "revoked",
                                  "--reason", "x"])
    assert unknown.exit_code == 1
