"""Demo entries of the kinds the Article 7 data forms count apart (issue 13), one of each: an invented
Kazakh producer makes HCFC-22, uses part of it as feedstock and sends reference samples to a laboratory
(an exempted use under Decision XXVI/5); a Kyrgyz importer brings in methyl bromide for quarantine and
pre-shipment and records the fumigation (a QPS use). Every name and number is invented."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.db import today as utc_today
from certreg.extensions import db
from certreg.logbook import drafts, recording
from certreg.logbook import holders as logbook_holders
from certreg.logbook.models import Entry, EntryKind
from certreg.registry import services as registry
from certreg.registry.models import Company
from certreg.vocabulary import HolderKind

ACTOR = Actor.system("demo")
#: country, legal name, Latin name, registration number, address, activities
PRODUCER = ("KZ", "ТОО «Павлодар Фтор Пример»", "Pavlodar Ftor Example LLP", "170440055667",
            "Павлодар, Северная промзона, 4", ["producer", "exporter"])
#: The KG importer of the demo registry (certreg.demo.data.COMPANIES).
KG_IMPORTER = ("KG", "01811201510456")


def _company(country: str, registration: str) -> Company | None:
    return db.session.scalar(sa.select(Company).where(Company.country_code == country,
                                                      Company.registration_number == registration))


def load() -> int:
    """Production, feedstock use and a laboratory use in KZ; a QPS import and use of methyl bromide in KG.
    Skipped once a production entry exists."""
    if db.session.scalar(sa.select(Entry.id).where(Entry.kind == EntryKind.PRODUCTION).limit(1)) is not None:
        return 0
    country, legal, latin, registration, address, activities = PRODUCER
    producer = _company(country, registration) or registry.create_company(ACTOR, registry.CompanyData(
        country_code=country, legal_name=legal, name_latin=latin, registration_number=registration,
        address=address, activities=activities, email=None, phone=None))
    importer = _company(*KG_IMPORTER)
    today = utc_today()
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    made = 0

    def record(company: Company, **values) -> None:
        nonlocal made
        recording.record_entry(ACTOR, logbook_holders.holder(HolderKind.COMPANY, company.id), drafts.EntryData(
            substance=values.pop("substance", "HCFC-22"), condition="virgin", **values))
        made += 1

    record(producer, kind="production", operation_date=day(90), quantity=Decimal("800"),
           document_numbers="Production report 2026/Q3")
    record(producer, kind="feedstock_use", operation_date=day(60), quantity=Decimal("250"),
           note="Feedstock for the PTFE line (entirely transformed)")
    record(producer, kind="exempted_use", operation_date=day(30), quantity=Decimal("1.5"),
           exempted_use="laboratory", exemption_reference="Decision XXVI/5",
           note="Reference samples for the customs laboratory")
    if importer is not None:
        record(importer, kind="import", operation_date=day(75), substance="methyl-bromide", quantity=Decimal("60"),
               exempted_use="quarantine", import_licence="KG-QPS-2026-003", customs_declaration="41702/0926/0000712",
               origin_country="IL", exporter_name="Example Bromine Trading Ltd.")
        record(importer, kind="qps_use", operation_date=day(20), substance="methyl-bromide", quantity=Decimal("45"),
               note="Fumigation of an export grain consignment, Torugart")
    db.session.flush()
    return made
