"""Registering cylinders: serials, first contents, rules and database constraints."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody, labelling
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderKind, CylinderRefusal, CylinderStatus
from certreg.cylinders.numbers import parse_serial
from certreg.cylinders.ratios import max_fill_kg
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company, make_technician

#: The most make_cylinder's 13.6 l HFC-134a cylinder (12 kg in it) may hold, from the filling ratio table.
LIMIT = max_fill_kg("HFC-134a", Decimal("13.6"))

SYSTEM = Actor.system("test")


def test_register_issues_a_checked_serial_and_first_contents():
    cylinder = make_cylinder()
    assert parse_serial(cylinder.serial) == cylinder.serial and cylinder.serial.startswith("KG-C-")
    assert cylinder.status is CylinderStatus.IN_STOCK and cylinder.net_kg == Decimal("12")
    assert cylinder.custodian_company_id == cylinder.owner_company_id
    assert [e.kind.value for e in cylinder.events] == ["register", "fill"]
    assert cylinder.token and cylinder.kid


def test_second_cylinder_gets_the_next_serial():
    a, b = make_cylinder(), make_cylinder()
    assert int(b.serial.split("-")[2]) == int(a.serial.split("-")[2]) + 1


@pytest.mark.parametrize(("column", "value"), [
    ("net_kg", Decimal("-1")),
    ("custodian_technician_id", "tech"),  # two custodians
    ("custodian_company_id", None),  # none
])
def test_database_constraints(column, value):
    cylinder = make_cylinder()
    if value == "tech":
        value = make_technician().id
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Cylinder).where(Cylinder.id == cylinder.id).values({column: value}))


def test_non_refillable_refill_is_refused_in_the_database_too():
    cylinder = make_cylinder(kind=CylinderKind.NON_REFILLABLE)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Cylinder).where(Cylinder.id == cylinder.id).values(fills=2))


def _refused(action) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        action()
    return info.value


@pytest.mark.parametrize(("setup", "action", "code"), [
    (dict(kind=CylinderKind.NON_REFILLABLE), lambda c: custody.fill(SYSTEM, c, FillData("HFC-134a", Decimal("1"))),
     "non_refillable_refill"),
    ({}, lambda c: custody.fill(SYSTEM, c, FillData("HFC-134a", LIMIT - 12 + Decimal("0.001"))), "overfill"),
    ({}, lambda c: custody.fill(SYSTEM, c, FillData("HCFC-22", Decimal("1"))), "substances_mixed"),
    (dict(kind=CylinderKind.RECOVERY, condition=ContentCondition.RECOVERED),
     lambda c: custody.fill(SYSTEM, c, FillData("HFC-134a", Decimal("1"), ContentCondition.VIRGIN)),
     "recovered_as_virgin"),
    ({}, lambda c: custody.fill(SYSTEM, c, FillData("R-410A", Decimal("1"))), "substances_mixed"),
    (dict(substance=None), lambda c: custody.fill(SYSTEM, c, FillData("R-448A", Decimal("1"))), "no_filling_ratio"),
    ({}, lambda c: custody.charge(SYSTEM, c, Decimal("12.001")), "contents_below_zero"),
    (dict(kind=CylinderKind.REFILLABLE, condition=ContentCondition.RECYCLED),
     lambda c: custody.transfer(SYSTEM, c, make_company(), sold_as=ContentCondition.VIRGIN), "recovered_as_virgin"),
    ({}, lambda c: custody.recover(SYSTEM, c, FillData("HFC-134a", Decimal("1"), ContentCondition.RECOVERED)),
     "recovery_needs_recovery_cylinder"),
])
def test_each_rule_refuses_with_its_code_changes_nothing_and_is_recorded(setup, action, code):
    cylinder = make_cylinder(**setup)
    serial, before = cylinder.serial, (cylinder.net_kg, cylinder.fills, cylinder.custodian_company_id)
    db.session.commit()
    exc = _refused(lambda: action(cylinder))
    assert exc.code == code
    roll_back(exc)
    cylinder = db.session.scalar(sa.select(Cylinder).where(Cylinder.serial == serial))
    assert (cylinder.net_kg, cylinder.fills, cylinder.custodian_company_id) == before
    refusal = db.session.scalar(sa.select(CylinderRefusal).where(CylinderRefusal.serial == serial))
    assert refusal is not None and refusal.code == code


def test_legal_neighbours_are_accepted():
    cylinder = make_cylinder()
    first_label = cylinder.token
    custody.fill(SYSTEM, cylinder, FillData("HFC-134a", LIMIT - 12))  # exactly the limit
    assert cylinder.net_kg == LIMIT
    assert cylinder.token != first_label and labelling.label_claims(cylinder).net_grams == int(LIMIT * 1000)
    custody.charge(SYSTEM, cylinder, LIMIT)  # exactly down to zero
    assert cylinder.net_kg == 0 and cylinder.status is CylinderStatus.EMPTY
    recovery = make_cylinder(kind=CylinderKind.RECOVERY, capacity="26.8", substance=None)
    custody.recover(SYSTEM, recovery, FillData("HFC-134a", Decimal("3"), ContentCondition.RECOVERED))
    custody.recover(SYSTEM, recovery, FillData("HCFC-22", Decimal("2"), ContentCondition.FOR_DESTRUCTION,
                                               mixed=True))
    assert recovery.mixed and recovery.net_kg == Decimal("5")
    disposable = make_cylinder(kind=CylinderKind.NON_REFILLABLE)
    assert disposable.fills == 1


def test_destroyed_cylinder_takes_no_more_events():
    cylinder = make_cylinder()
    custody.destroy(SYSTEM, cylinder)
    assert cylinder.status is CylinderStatus.DESTROYED and cylinder.net_kg == 0
    assert _refused(lambda: custody.charge(SYSTEM, cylinder, Decimal("1"))).code == "cylinder_closed"
