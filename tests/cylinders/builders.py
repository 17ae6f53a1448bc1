"""Cylinders for tests, made through the services."""

from __future__ import annotations

from decimal import Decimal

from certreg.actors import Actor
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderKind
from certreg.cylinders.registration import RegisterData, register
from certreg.extensions import db
from certreg.registry.models import Company
from tests.factories import ensure_keys, make_company


def make_cylinder(owner: Company | None = None, *, kind: CylinderKind = CylinderKind.REFILLABLE,
                  capacity: str = "13.6", substance: str | None = "HFC-134a", kg: str = "12",
                  condition: ContentCondition = ContentCondition.VIRGIN, grai: str | None = None) -> Cylinder:
    owner = owner or make_company(country_code="KG", activities=["importer", "dealer"])
    ensure_keys(owner.country_code)
    contents = FillData(substance, Decimal(kg), condition, origin_country="CN", batch="B-1") if substance else None
    cylinder = register(Actor.system("test"), RegisterData(
        owner_company_id=owner.id, kind=kind, water_capacity_l=Decimal(capacity), tare_kg=Decimal("6.5"),
        manufacturer="Worthington", stamp_number="W123456", grai=grai, contents=contents))
    db.session.flush()
    return cylinder
