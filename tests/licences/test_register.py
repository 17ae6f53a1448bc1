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
from certreg.licences import services
from certreg.licences.models import LicenceDirection, LicenceStatus
from certreg.logbook import drafts, holders, recording
from certreg.logbook.queries import licence_used_kg
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
                  groups=["C/I"], on=TODAY, partner_country="CN", kg=Decimal("40"), used_kg=licence_used_kg)
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
