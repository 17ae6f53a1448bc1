"""Equipment register, interventions linked to entries, annual leak rates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from certreg.actors import Actor
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import equipment as eq
from certreg.logbook import equipment_ids, recording, settings
from certreg.logbook.models import EntryKind
from tests.logbook.conftest import TODAY, certify, entry_data, stock


@pytest.fixture
def freezer(people):
    # charging and recovery need a certified technician (the work below goes back 400 days)
    certify(people.tech_record, ("A1",), valid_from=TODAY - timedelta(days=500))
    recording.record_entry(people.tech_actor, people.technician, entry_data(
        "purchase", substance="R-404A", quantity=Decimal("30")))
    unit = eq.register(people.tech_actor, people.technician, eq.EquipmentData(
        owner_kind="company", owner_name="Narodny 12", site_address="Bishkek", kind="commercial_refrigeration",
        substance="R-404A", nominal_charge=Decimal("10")))
    db.session.commit()
    return unit


def work(people, unit, kind, days=0, **extra):
    return eq.record_intervention(people.tech_actor, people.technician, unit, eq.InterventionData(
        kind=kind, performed_on=TODAY - timedelta(days=days), **extra))


def test_codes_carry_a_check_digit(freezer):
    assert equipment_ids.normalize_code(freezer.code.lower().replace("-", " ")) == freezer.code
    assert equipment_ids.normalize_code(f"https://x.example/e/{freezer.code}") == freezer.code
    wrong = freezer.code[:-1] + str((int(freezer.code[-1]) + 1) % 10)
    assert equipment_ids.normalize_code(wrong) is None


def test_interventions_cause_linked_entries_and_leak_rate_flags_top_ups(people, freezer):
    work(people, freezer, "installation", 300, charge_quantity=Decimal("10"))  # not a leak
    repair = work(people, freezer, "repair", 100, recovered_quantity=Decimal("8"), charge_quantity=Decimal("8.4"))
    assert [e.kind for e in repair.entries] == [EntryKind.RECOVERY, EntryKind.CHARGE]
    assert all(e.intervention_id == repair.id and e.equipment_id == freezer.id for e in repair.entries)
    work(people, freezer, "charge", 400, charge_quantity=Decimal("3"))  # older than 12 months
    rate = eq.leak_rates([freezer])[freezer.id]
    assert (rate.added_kg, rate.percent, rate.flagged) == (Decimal("0.4"), Decimal("4.0"), False)
    top_up = work(people, freezer, "charge", 10, charge_quantity=Decimal("0.8"))
    rate = eq.leak_rates([freezer])[freezer.id]
    assert (rate.added_kg, rate.percent, rate.flagged) == (Decimal("1.2"), Decimal("12.0"), True)
    recording.reverse_entry(people.tech_actor, top_up.entries[0].id, "Wrong unit")
    assert not eq.leak_rates([freezer])[freezer.id].flagged
    settings.update_settings(Actor.system(), "KG", used_ods_sales="allowed", leak_rate_threshold=Decimal("3"))
    assert eq.leak_rates([freezer])[freezer.id].flagged
    assert stock(people.technician, "R-404A") == Decimal("30") - 10 - Decimal("8.4") - 3
    assert stock(people.technician, "R-404A", "recovered") == Decimal("8")


def test_leak_check_needs_a_result_and_charge_matches_the_refrigerant(people, freezer):
    with pytest.raises(ValidationFailed) as info:
        work(people, freezer, "leak_check")
    assert info.value.code == "required"
    assert work(people, freezer, "leak_check", leak_check_result="no_leak").entries == []
    with pytest.raises(ValidationFailed) as info:
        recording.record_entry(people.tech_actor, people.technician, entry_data(
            "charge", substance="HCFC-22", equipment=freezer.code))
    assert info.value.code == "equipment_refrigerant_mismatch"
    with pytest.raises(ValidationFailed) as info:
        recording.record_entry(people.tech_actor, people.technician, entry_data("charge", substance="R-404A"))
    assert info.value.code == "equipment_required"
    with pytest.raises(ValidationFailed) as info:
        work(people, freezer, "leak_check", leak_check_result="no_leak", charge_quantity=Decimal("1"))
    assert info.value.code == "not_applicable"


def test_decommissioned_equipment_takes_no_more_work(people, freezer):
    work(people, freezer, "installation", 30, charge_quantity=Decimal("10"))
    work(people, freezer, "decommissioning", 1, recovered_quantity=Decimal("9.6"))
    assert freezer.decommissioned_on == TODAY - timedelta(days=1)
    assert stock(people.technician, "R-404A", "recovered") == Decimal("9.6")
    with pytest.raises(ValidationFailed) as info:
        work(people, freezer, "charge", charge_quantity=Decimal("1"))
    assert info.value.code == "equipment_decommissioned"


def test_equipment_of_another_country_cannot_be_worked_on(people, freezer):
    with pytest.raises(ValidationFailed) as info:
        eq.record_intervention(people.kz_tech_actor, people.kz_technician, freezer, eq.InterventionData(
            kind="leak_check", performed_on=TODAY, leak_check_result="no_leak"))
    assert info.value.code == "equipment_other_country"
