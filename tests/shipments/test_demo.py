"""The demo shows the border: a shipment refused at the Uzbek border, an iPIC question answered "no", an
import awaiting customs whose border check passes, and the truck seized at Khorgos."""

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.demo import data
from certreg.demo import shipments as demo_shipments
from certreg.extensions import db
from certreg.shipments import border
from certreg.shipments.models import IpicAnswer, IpicQuestion, Shipment, ShipmentStatus
from tests.factories import ensure_keys


def test_demo_shipments_load_once():
    ensure_keys("KG", "KZ", "UZ")
    data.load_registry()
    data.load_certificates()
    data.load_logbook()
    assert demo_shipments.load() == 3
    assert demo_shipments.load() == 0  # idempotent
    refused = db.session.scalar(sa.select(Shipment).where(Shipment.country_code == "UZ"))
    assert refused.status is ShipmentStatus.REFUSED and refused.decision_reason
    answers = {(q.asking_country, q.answer) for q in db.session.scalars(sa.select(IpicQuestion))}
    assert answers == {("CN", IpicAnswer.YES), ("KZ", IpicAnswer.NO)}
    waiting = db.session.scalar(sa.select(Shipment).where(Shipment.country_code == "KZ",
                                                         Shipment.status == ShipmentStatus.EXPECTED))
    check = border.border_check(Actor.system("tests"), waiting.id)
    assert waiting.declaration_number == "50508/051226/0034410" and check.passed, check.failures
    seized = db.session.scalar(sa.select(Shipment).where(Shipment.declaration_number
                                                         == demo_shipments.KHORGOS_DECLARATION))
    assert (seized.country_code, seized.status, seized.border_post) == ("KZ", ShipmentStatus.SEIZED,
                                                                         "Nur Zholy (Khorgos)")
    assert seized.decision_reason  # what customs found (the inspection at the post names this shipment)
