"""Demo shipments at the border and iPIC questions."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.db import today as utc_today
from certreg.extensions import db
from certreg.keys.services import ensure as ensure_keys
from certreg.shipments import border, expected, ipic
from certreg.shipments.models import IpicQuestion, Shipment

ACTOR = Actor.system("demo")
#: The truck the Khorgos inspection stopped (certreg.demo.inspections): its declaration names HFC-134a.
KHORGOS_DECLARATION = "50509/031226/0031872"


def load() -> int:
    """Shipments at the border and iPIC: a shipment refused at the Uzbek border (its licence is not in the
    register), an Almaty import awaiting customs with China's iPIC confirmation, Kazakhstan's iPIC question
    to Uzbekistan answered "no" (the Tashkent importer is licensed for HCFC-22 from China only), and the truck
    declared as HFC-134a that customs seized at Khorgos (its inspection, loaded next, names it)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)):
        return 0
    today = utc_today()
    ensure_keys(ACTOR, ["CN"])  # China's ozone unit asks through certreg in the demo
    common = dict(goods="substance", exporting_country="CN", origin_country="CN", cylinder_count=0)
    refused = expected.record(ACTOR, "UZ", expected.ShipmentData(
        declaration_number="10702/011226/0012207", importer_registration="305123456", hs_code="2903.71",
        substance="HCFC-22", kg="480", import_licence="ANY-STRING-AT-ALL",
        exporter_name="Unknown trading company", transport_mode="road", border_post="Yallama",
        expected_on=today - timedelta(days=2), **common))
    border.decide(ACTOR, refused, "refused", "The licence number is not in the register; goods sent back.")
    if not db.session.scalar(sa.select(sa.func.count()).select_from(IpicQuestion)):
        ipic.ask(ACTOR, "CN", "KZ", "120540012345", "HCFC-22", "50")  # 56 kg left under the licence
        ipic.ask(ACTOR, "KZ", "UZ", "305123456", "R-404A", "150")
    expected.record(ACTOR, "KZ", expected.ShipmentData(
        declaration_number="50508/051226/0034410", importer_registration="120540012345", hs_code="2903.71.000.0",
        substance="HCFC-22", kg="40", import_licence="KZ-IMP-2026-0077",
        exporter_name="Shandong Example Chemical Co., Ltd.", transport_mode="rail", border_post="Altynkol",
        expected_on=today + timedelta(days=3), **{**common, "cylinder_count": 3}))
    khorgos = expected.record(ACTOR, "KZ", expected.ShipmentData(
        declaration_number=KHORGOS_DECLARATION, importer_registration="150240098765", hs_code="2903.45",
        substance="HFC-134a", kg="27.2", import_licence="KZ-IMP-2026-0142",
        exporter_name="Urumqi Example Trading Co., Ltd.", transport_mode="road", border_post="Nur Zholy (Khorgos)",
        expected_on=today - timedelta(days=3), **{**common, "cylinder_count": 2}))
    border.decide(ACTOR, khorgos, "seized", "The identifier read CFC-12 in both cylinders declared as HFC-134a; "
                                            "seized at the Khorgos post (see the inspection).")
    db.session.commit()
    return 3
