"""A country's ban on non-refillable cylinders from a date: refused with its code, the day before allowed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.cylinders import custody, registration, settings
from certreg.cylinders.events import FillData
from certreg.cylinders.models import Cylinder, CylinderKind
from certreg.errors import ValidationFailed
from certreg.extensions import db
from tests.cylinders.builders import make_cylinder
from tests.factories import make_company


def test_ban_refuses_import_and_sale_of_non_refillable_cylinders(app):
    owner = make_company(country_code="KG")
    sold = make_cylinder(owner, kind=CylinderKind.NON_REFILLABLE)  # before any ban
    settings.set_non_refillable_ban(Actor.system("test"), "KG", date.today() + timedelta(days=1))
    make_cylinder(owner, kind=CylinderKind.NON_REFILLABLE)  # the day before the ban: allowed
    settings.set_non_refillable_ban(Actor.system("test"), "kg", date.today())
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder))
    with pytest.raises(ValidationFailed) as refused, db.session.begin_nested():
        registration.register(Actor.system("test"), registration.RegisterData(
            owner_company_id=owner.id, kind=CylinderKind.NON_REFILLABLE, water_capacity_l=Decimal("13.6"),
            tare_kg=Decimal("6"), contents=FillData("HFC-134a", Decimal("13"))))
    assert refused.value.code == "non_refillable_banned"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder)) == count
    with pytest.raises(ValidationFailed) as refused:
        custody.transfer(Actor.system("test"), sold, make_company(country_code="KG"))
    assert refused.value.code == "non_refillable_banned"
    make_cylinder(owner, kind=CylinderKind.REFILLABLE)  # refillable ones are not concerned


def test_cli_sets_and_lifts_the_ban(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cylinders", "ban-non-refillable", "--country", "KZ", "--from", "2025-01-01"])
    assert result.exit_code == 0, result.output
    assert settings.non_refillable_ban("KZ") == date(2025, 1, 1)
    assert runner.invoke(args=["cylinders", "ban-non-refillable", "--country", "KZ", "--lift"]).exit_code == 0
    assert settings.non_refillable_ban("KZ") is None
