"""A clean, demo-like refrigerant market of one country over three years (2023-2025).

An importer brings in HCFC-22 and R-404A every year with proof of origin and sells to a
dealer, who sells to a certified technician; the technician installs and services a shop
freezer (small top-ups), decommissions a unit each year and sells the gas recovered to a reclaimer, who reclaims it and
sells it back to the dealer; every sale is confirmed; the dealer's stock count is a few
hundred grams off; the importer exports some gas. Nothing here is an anomaly: each test
plants one on top.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certreg.actors import Actor
from certreg.db import utcnow
from certreg.extensions import db
from certreg.logbook import equipment as equipment_services
from certreg.logbook import holders, ledger, queries, rules, transfers
from certreg.logbook.models import Condition, Entry, EntryKind
from tests import factories
from tests.reports.books import SYSTEM, holder_of, record, without_bans

YEARS = (2023, 2024, 2025)
CERTS_FROM = date(2022, 1, 1)


class Market:
    def __init__(self, country: str = "KZ") -> None:
        self.country = country
        without_bans(country)
        make = factories.make_company
        self.importer = make(country_code=country, activities=["importer", "exporter", "dealer"],
                             legal_name="ТОО «Импорт Хладагентов»")
        self.dealer = make(country_code=country, activities=["dealer"], legal_name="ТОО «АлматыХладоТорг»")
        self.reclaimer = make(country_code=country, activities=["reclaimer"], legal_name="ТОО «Регенерация»")
        self.technician = factories.make_technician(country_code=country, full_name="Серикбаев Ерлан Маратович")
        cert = factories.make_certificate
        self.dealer_cert = cert(self.dealer, categories=("CO-DEALER",), valid_from=CERTS_FROM)
        self.reclaimer_cert = cert(self.reclaimer, categories=("CO-RECLAIM",), valid_from=CERTS_FROM)
        self.technician_cert = cert(self.technician, categories=("A1",), valid_from=CERTS_FROM)
        self.freezer = equipment_services.register(SYSTEM, holder_of(self.technician), equipment_services.EquipmentData(
            owner_kind="company", owner_name="Магазин «Береке»", site_address="ул. Абая 10, Алматы",
            kind="commercial_refrigeration", substance="HCFC-22", nominal_charge=Decimal("50")))
        for year in YEARS:
            self.year(year)
        self.stock_count(self.dealer, "HCFC-22", on=date(2025, 12, 20), delta=Decimal("-0.2"))
        db.session.commit()

    def year(self, year: int) -> None:
        record(self.importer, "import", "HCFC-22", "1000", on=date(year, 3, 1))
        record(self.importer, "import", "R-404A", "400", on=date(year, 3, 1))
        self.sell(self.importer, self.dealer, self.dealer_cert, "HCFC-22", "300", on=date(year, 4, 1))
        self.sell(self.importer, self.dealer, self.dealer_cert, "R-404A", "100", on=date(year, 4, 1))
        record(self.importer, "export", "HCFC-22", "50", on=date(year, 5, 1))
        self.sell(self.dealer, self.technician, self.technician_cert, "HCFC-22", "30", on=date(year, 5, 10))
        tech = holder_of(self.technician)
        if year == YEARS[0]:
            self.work("installation", date(year, 6, 1), charge="20")
        else:
            self.work("charge", date(year, 6, 1), charge="1.5")  # 3 % of the 50 kg charge: normal
        # a unit installed in spring and taken out of service in late summer: its gas is recovered
        unit = self.register(f"Кондиционер склада {year}")
        self.work("installation", date(year, 4, 20), charge="8", equipment=unit)
        self.work("decommissioning", date(year, 9, 1), recovered="5", equipment=unit)
        self.sell(tech, self.reclaimer, self.reclaimer_cert, "HCFC-22", "4", on=date(year, 9, 15),
                  condition="recovered")
        record(self.reclaimer, "reclamation", "HCFC-22", "4", on=date(year, 10, 1), from_condition="recovered")
        self.sell(self.reclaimer, self.dealer, self.dealer_cert, "HCFC-22", "3", on=date(year, 10, 15),
                  condition="reclaimed")

    def sell(self, seller, buyer, certificate, substance: str, kg: str, *, on: date, condition: str = "virgin",
             confirm: bool = True) -> Entry:
        sale = record(seller, "sale", substance, kg, on=on, condition=condition, buyer_certificate=certificate.number)
        if confirm:
            transfers.confirm_transfer(SYSTEM, queries.transfer_of(sale).id)
        return sale

    def register(self, owner: str):
        return equipment_services.register(SYSTEM, holder_of(self.technician), equipment_services.EquipmentData(
            owner_kind="company", owner_name=owner, site_address="ул. Абая 10, Алматы", kind="air_conditioning",
            substance="HCFC-22", nominal_charge=Decimal("8")))

    def work(self, kind: str, on: date, *, charge: str | None = None, recovered: str | None = None, equipment=None):
        return equipment_services.record_intervention(
            SYSTEM, holder_of(self.technician), equipment or self.freezer,
            equipment_services.InterventionData(kind=kind, performed_on=on, charge_quantity=charge,
                                                recovered_quantity=recovered))

    def stock_count(self, who, substance: str, *, on: date, delta: Decimal, condition: str = "virgin") -> Entry:
        holder = holder_of(who)
        book = queries.stock_of(holder, substance, Condition(condition))
        return record(holder, "stock_count", substance, "0", on=on, condition=condition, quantity=None,
                      counted_quantity=book + delta, reason="Annual stock count")

    def logbook_id(self, who) -> int:
        return holders.logbook_for(holder_of(who)).id


def append_unchecked(who, actor: Actor = SYSTEM, **values) -> Entry:
    """Append an entry past the rules (as data loaded before they existed would be), hashed and balanced."""
    holder = holder_of(who)
    logbook = holders.logbook_for(holder, create=True)
    now = utcnow()
    row = {column: None for column in ledger.ENTRY_COLUMNS if column not in ("id", "seq", "leaf_hash", "mac")}
    row.update(country_code=holder.country_code, logbook_id=logbook.id, condition="virgin", channel="csv",
               recorded_at=now, recorded_by_user_id=None, recorded_by_label=actor.label)
    row.update(values)
    head = ledger.lock_head(holder.country_code)
    stock = ledger.Stock(logbook.id)
    stored = ledger.append(head, row, [])
    kind = EntryKind(row["kind"])
    stock.apply(rules.effects(kind, row["substance_code"], row["quantity"],
                                       Condition(row["condition"])), stored["id"])
    stock.save(now)
    ledger.save_head(head, now)
    db.session.flush()
    return db.session.get(Entry, stored["id"])
