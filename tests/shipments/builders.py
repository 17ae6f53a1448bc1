"""A KZ importer with an import licence for HCFC-22 from CN, and shipments of it (shared by the shipment tests)."""

from __future__ import annotations

from datetime import date, timedelta

from certreg.actors import Actor
from certreg.extensions import db
from certreg.licences import services as licences
from certreg.shipments import expected
from tests import factories

SYSTEM = Actor.system("tests")
TODAY = date.today()


def importer_with_licence(number: str = "KZ-IMP-1", *, cap_kg: str = "100", partners=("CN",)):
    factories.ensure_keys("KZ", "CN", "KG")
    company = factories.make_company(country_code="KZ", activities=["importer", "dealer"])
    licence = licences.issue(SYSTEM, "KZ", licences.LicenceData(
        number=number, company_registration=company.registration_number, direction="import", scope=["HCFC-22"],
        cap_kg=cap_kg, valid_from=TODAY - timedelta(days=30), valid_until=TODAY + timedelta(days=300),
        issuing_authority="Ministry of Ecology", partner_countries=list(partners)))
    db.session.commit()
    return company, licence


def shipment_data(company, **changes) -> expected.ShipmentData:
    values = dict(declaration_number=f"DT-{company.id}-{len(changes)}-{sorted(changes)}"[:60],
                  importer_registration=company.registration_number, goods="substance", hs_code="2903.71.000.0",
                  substance="HCFC-22", kg="40", import_licence="KZ-IMP-1", exporter_name="Zhejiang Chem Co",
                  exporting_country="CN", origin_country="CN", transport_mode="road", border_post="Khorgos",
                  expected_on=TODAY.isoformat(), cylinder_count=3, cylinder_serials=["CN-A-1", "CN-A-2"])
    values.update(changes)
    return expected.ShipmentData(**values)


def expect(company, **changes):
    return expected.record(SYSTEM, "KZ", shipment_data(company, **changes))
