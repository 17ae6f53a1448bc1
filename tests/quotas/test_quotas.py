"""Baselines, allocations, transfers, and imports refused beyond the importer's remaining quota (issue 13)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Forbidden, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import drafts, holders, recording, verify
from certreg.logbook.checkpointing import inclusion_proof
from certreg.logbook.models import Entry, Refusal
from certreg.quotas import services, usage
from certreg.quotas.models import QuotaLine, QuotaLineKind
from certreg.vocabulary import HolderKind, Role
from tests import factories

SYSTEM = Actor.system("tests")
TODAY = date.today()
YEAR = TODAY.year
ODP_22 = Decimal("0.055")  # HCFC-22, Annex C group I


def import_data(kg: str = "100", substance: str = "HCFC-22", **changes) -> drafts.EntryData:
    values = dict(kind="import", operation_date=TODAY, substance=substance, quantity=Decimal(kg),
                  condition="virgin", origin_country="CN", customs_declaration="D-1", exporter_name="Exporter",
                  import_licence="KG-IMP-1")
    values.update(changes)
    return drafts.EntryData(**values)


@pytest.fixture
def importers():
    return [factories.make_company(country_code="KG", activities=["importer", "dealer"]) for _ in range(2)]


@pytest.fixture
def allocated(importers):
    """KG: an HCFC baseline of 10 ODP t; the first importer holds 0.011 ODP t (200 kg of HCFC-22)."""
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat, 2009-2010 average")
    services.allocate(SYSTEM, "KG", YEAR, "C/I", importers[0].registration_number, "0.011")
    return importers


def record(company, data):
    return recording.record_entry(SYSTEM, holders.holder(HolderKind.COMPANY, company.id), data)


def test_the_limit_of_a_year_follows_the_countrys_schedule(importers):
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    services.set_baseline(SYSTEM, "KZ", "F", "1000", "Ozone Secretariat")
    assert services.national_limit("KG", "C/I", 2026) == Decimal("3.25")  # Article 5: -67.5 % from 2025
    assert services.national_limit("KG", "C/I", 2030) == Decimal("0.25")  # the servicing tail
    assert services.national_limit("KZ", "F", 2026) == Decimal("650")  # the later non-Article 5 schedule
    assert services.national_limit("KG", "F", 2026) is None  # no baseline entered


def test_allocations_stay_within_the_national_limit(importers):
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    services.allocate(SYSTEM, "KG", YEAR, "C/I", importers[0].registration_number, "3")
    with pytest.raises(ValidationFailed) as over:
        services.allocate(SYSTEM, "KG", YEAR, "C/I", importers[1].registration_number, "0.250001")
    assert over.value.code == "quota_over_limit"
    services.allocate(SYSTEM, "KG", YEAR, "C/I", importers[1].registration_number, "0.25")
    [group] = services.overview(SYSTEM, "KG", YEAR)
    assert (group.limit, group.allocated, group.unallocated) == (Decimal("3.25"), Decimal("3.25"), Decimal("0"))


@pytest.mark.parametrize("change,field,code", [
    (dict(group="Z/9"), "group", "unknown_group"),
    (dict(year="1800"), "year", "invalid_year"),
    (dict(amount="-1"), "amount", "invalid_number"),
    (dict(amount="0.0000000000001"), "amount", "invalid_number"),
    (dict(company="NOPE"), "company", "unknown_company"),
    (dict(group="F"), "group", "baseline_missing"),
])
def test_bad_allocations_are_refused_on_their_field(importers, change, field, code):
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    values = dict(year=YEAR, group="C/I", company=importers[0].registration_number, amount="1")
    values.update(change)
    with pytest.raises(ValidationFailed) as refused:
        services.allocate(SYSTEM, "KG", values["year"], values["group"], values["company"], values["amount"])
    assert refused.value.code == code and set(refused.value.fields) == {field}


def test_only_importers_get_quota_and_only_officials_allocate(importers):
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    service_company = factories.make_company(country_code="KG", activities=["service"])
    with pytest.raises(ValidationFailed) as not_importer:
        services.allocate(SYSTEM, "KG", YEAR, "C/I", service_company.registration_number, "1")
    assert not_importer.value.code == "quota_not_importer"
    officer = Actor.of(factories.make_user(Role.CERTIFYING_OFFICER, "KG"))
    services.allocate(officer, "KG", YEAR, "C/I", importers[0].registration_number, "1")
    for actor in (Actor.of(factories.make_user(Role.INSPECTOR, "KG")),
                  Actor.of(factories.make_user(Role.ADMIN, "KZ")),
                  Actor.of(factories.make_user(Role.COMPANY_USER, "KG", company=importers[0]))):
        with pytest.raises(Forbidden):
            services.allocate(actor, "KG", YEAR, "C/I", importers[0].registration_number, "1")


def test_an_import_beyond_the_remaining_quota_is_refused_and_the_legal_neighbour_passes(allocated):
    first, second = allocated
    record(first, import_data("150"))
    assert usage.remaining("KG", first.id, YEAR, "C/I") == Decimal("0.00275")
    db.session.commit()  # what came before stays, as it would between requests
    with pytest.raises(ValidationFailed) as refused:
        record(first, import_data("50.001"))
    assert refused.value.code == "quota_exceeded" and set(refused.value.fields) == {"quantity"}
    roll_back(refused.value)  # the refused attempt is recorded like any other
    assert db.session.scalar(sa.select(Refusal.code).order_by(Refusal.id.desc())) == "quota_exceeded"
    record(first, import_data("50"))  # exactly the rest
    assert usage.remaining("KG", first.id, YEAR, "C/I") == 0
    with pytest.raises(ValidationFailed) as none_left:
        record(second, import_data("1"))  # no allocation at all
    assert none_left.value.code == "quota_exceeded"
    record(second, import_data("1", exempted_use="feedstock", exemption_reference="XIX/6"))  # outside consumption
    record(second, import_data("1", condition="recovered"))  # not a new substance
    record(second, import_data("1", substance="R-404A", import_licence="KG-IMP-2"))  # no HFC quotas allocated


def test_a_blend_uses_the_quota_of_its_controlled_part(allocated):
    first, _ = allocated
    record(first, import_data("100", substance="R-408A"))  # 47 % HCFC-22 by mass: 47 kg
    [use] = db.session.scalars(sa.select(QuotaLine).where(QuotaLine.kind == QuotaLineKind.USE)).all()
    assert use.kg == Decimal("47.000") and -use.amount == (Decimal("47") / 1000 * ODP_22).quantize(Decimal("1e-6"))


def test_transfers_move_quota_and_a_reversed_import_gives_it_back(allocated):
    first, second = allocated
    services.transfer(SYSTEM, "KG", YEAR, "C/I", first.registration_number, second.registration_number, "0.0055")
    with pytest.raises(ValidationFailed) as too_much:
        services.transfer(SYSTEM, "KG", YEAR, "C/I", first.registration_number, second.registration_number,
                          "0.005501")
    assert too_much.value.code == "quota_exceeded"
    entry = record(second, import_data("100"))
    assert usage.remaining("KG", second.id, YEAR, "C/I") == 0
    recording.reverse_entry(SYSTEM, entry.id, "Wrong declaration")
    assert usage.remaining("KG", second.id, YEAR, "C/I") == Decimal("0.0055")
    [group] = services.overview(SYSTEM, "KG", YEAR)
    by_company = {a.company_id: a for a in group.importers}
    assert by_company[first.id].allocated == by_company[second.id].allocated == Decimal("0.0055")
    assert group.used == 0 and group.remaining == Decimal("0.011")
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("quota.%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["quota.baseline", "quota.allocate", "quota.transfer"]


def test_a_company_user_sees_only_its_own_quota(allocated):
    first, second = allocated
    services.transfer(SYSTEM, "KG", YEAR, "C/I", first.registration_number, second.registration_number, "0.001")
    own = Actor.of(factories.make_user(Role.COMPANY_USER, "KG", company=second))
    [group] = services.overview(own, "KG", YEAR)
    assert [a.company_id for a in group.importers] == [second.id]
    with pytest.raises(Forbidden):
        services.overview(Actor.of(factories.make_user(Role.COMPANY_USER, "KZ")), "KG", YEAR)


def test_imports_before_the_first_allocation_count_against_the_year(importers):
    first, _ = importers
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    record(first, import_data("100"))  # no quotas yet: not checked
    services.allocate(SYSTEM, "KG", YEAR, "C/I", first.registration_number, "0.011")
    assert usage.remaining("KG", first.id, YEAR, "C/I") == Decimal("0.0055")


def test_the_ledger_is_in_the_countrys_log_and_verify_sees_tampering(allocated):
    first, second = allocated
    entry = record(first, import_data("100"))
    services.transfer(SYSTEM, "KG", YEAR, "C/I", first.registration_number, second.registration_number, "0.001")
    db.session.flush()
    report = verify.verify_log("KG")
    assert report.ok, report.problems
    lines = db.session.scalars(sa.select(QuotaLine).where(QuotaLine.seq.is_not(None)).order_by(QuotaLine.seq)).all()
    assert [line.kind for line in lines] == [QuotaLineKind.ALLOCATION, QuotaLineKind.TRANSFER_OUT,
                                             QuotaLineKind.TRANSFER_IN]
    assert lines[0].seq < entry.seq < lines[1].seq  # one log: entries and quota lines interleave
    assert inclusion_proof(SYSTEM, entry.id)["verified"]
    # an UPDATE is refused by the database itself
    with pytest.raises(sa.exc.DBAPIError), db.session.begin_nested():
        db.session.execute(sa.text("UPDATE quota_ledger SET amount = 1 WHERE id = :id"), {"id": lines[0].id})
    # rewriting an allocation behind the trigger's back (drop it, edit, put it back) shows
    db.session.execute(sa.text("DROP TRIGGER quota_ledger_no_update" + (
        " ON quota_ledger" if db.engine.dialect.name == "postgresql" else "")))
    db.session.execute(sa.text("UPDATE quota_ledger SET amount = 5 WHERE id = :id"), {"id": lines[0].id})
    # and deleting a use gives the quota back, which verify also sees
    db.session.execute(sa.text("DELETE FROM quota_ledger WHERE entry_id = :id"), {"id": entry.id})
    codes = {p.code for p in verify.verify_log("KG").problems}
    assert {"quota_line_changed", "quota_use_mismatch"} <= codes
    assert db.session.get(Entry, entry.id) is not None


def test_confirming_an_export_as_an_import_needs_the_receivers_quota(importers):
    """An export from KZ to a registered KG importer becomes an import in KG when confirmed: the quota check too."""
    from certreg.logbook import queries, transfers

    receiver, other = importers
    exporter = factories.make_company(country_code="KZ", activities=["importer", "exporter", "dealer"])
    kz = holders.holder(HolderKind.COMPANY, exporter.id)
    recording.record_entry(SYSTEM, kz, import_data("100", import_licence="KZ-IMP-1"))
    export = recording.record_entry(SYSTEM, kz, drafts.EntryData(
        kind="export", operation_date=TODAY, substance="HCFC-22", quantity=Decimal("60"), condition="virgin",
        export_licence="KZ-EXP-1", destination_country="KG", counterparty_registration=receiver.registration_number))
    services.set_baseline(SYSTEM, "KG", "C/I", "10", "Ozone Secretariat")
    services.allocate(SYSTEM, "KG", YEAR, "C/I", receiver.registration_number, "0.0033")  # 60 kg of HCFC-22
    transfer = queries.transfer_of(export)
    services.transfer(SYSTEM, "KG", YEAR, "C/I", receiver.registration_number, other.registration_number, "0.000001")
    db.session.commit()  # what came before stays, as it would between requests
    with pytest.raises(ValidationFailed) as refused:
        transfers.confirm_transfer(SYSTEM, transfer.id, import_licence="KG-IMP-9", customs_declaration="D-9")
    assert refused.value.code == "quota_exceeded"
    roll_back(refused.value)
    services.allocate(SYSTEM, "KG", YEAR, "C/I", receiver.registration_number, "0.000001")
    entry = transfers.confirm_transfer(SYSTEM, transfer.id, import_licence="KG-IMP-9", customs_declaration="D-9")
    assert usage.remaining("KG", receiver.id, YEAR, "C/I") == 0
    assert db.session.scalar(sa.select(QuotaLine.entry_id).where(QuotaLine.kind == QuotaLineKind.USE)) == entry.id


def test_the_lines_of_one_csv_import_share_the_quota(allocated):
    """200 kg of quota: two 80 kg lines pass, the third is refused on its line, and nothing is written."""
    from certreg.logbook import imports

    first, _ = allocated
    who = holders.holder(HolderKind.COMPANY, first.id)
    header = "date,kind,substance,quantity_kg,import_licence,customs_declaration,origin_country,exporter\n"
    line = f"{TODAY.isoformat()},import,HCFC-22,80,KG-IMP-1,D-1,CN,Exporter\n"
    db.session.commit()  # the quota stays when the refused import is rolled back
    result = imports.import_csv(SYSTEM, who, (header + line * 3).encode(), "three.csv")
    assert [(e.line, e.code) for e in result.errors] == [(4, "quota_exceeded")]
    db.session.rollback()
    result = imports.import_csv(SYSTEM, who, (header + line * 2).encode(), "two.csv")
    assert not result.errors and result.entries == 2
    assert usage.remaining("KG", first.id, YEAR, "C/I") == Decimal("0.0022")  # 40 kg of HCFC-22 left
    assert verify.verify_log("KG").ok
