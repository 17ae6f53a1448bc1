"""Demo data. Every name, number and address here is invented.

Built through the same services as the pages, API and CLI, as the system actor
``cli:demo``; each record is looked up first, so loading twice changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pyotp
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.auth import services as auth
from certreg.auth import twofactor
from certreg.auth.models import User
from certreg.certificates import catalogue, lifecycle, states
from certreg.certificates import queries as certificate_queries
from certreg.certificates.models import CertificateCategory
from certreg.countries import logbook_settings
from certreg.countries import services as countries
from certreg.cylinders import custody, registration, scanning
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, Cylinder, CylinderKind
from certreg.db import today as utc_today
from certreg.demo import article7_uses as demo_article7_uses
from certreg.demo import custody_gap as demo_custody_gap
from certreg.demo import licence_documents
from certreg.demo import shipments as demo_shipments
from certreg.demo.inspections import load_inspections
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.federation.identity import ensure_key as ensure_federation_key
from certreg.keys import services as keys
from certreg.keys.services import active_key_row
from certreg.keys.services import ensure as ensure_keys
from certreg.logbook import checkpointing, drafts, recording, transfers
from certreg.logbook import equipment as equipment_services
from certreg.logbook import holders as logbook_holders
from certreg.logbook import queries as logbook_queries
from certreg.logbook.models import Entry, MerkleLog
from certreg.quotas import services as quotas
from certreg.quotas.models import QuotaBaseline
from certreg.registry import services as registry
from certreg.registry.models import Company, Technician
from certreg.reports import services as reports
from certreg.reports.models import LogCheck
from certreg.vocabulary import OFFICIAL_ROLES, HolderKind, Role

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (the published demo password)
ACTOR = Actor.system("demo")
#: How far back the demo's entries go (days), allowed as late entries in the demo countries.
DEMO_HISTORY_DAYS = 3650

COMPANIES = [
    # country, legal name, Latin name, registration number, address, activities
    ("KG", "ОсОО «Холод-Сервис Бишкек»", "Kholod-Servis Bishkek LLC", "02304201710123",
     "ул. Токтогула 101, Бишкек", ["service", "equipment_owner"]),
    ("KG", "ОсОО «Ала-Тоо Рефрижерейшн»", "Ala-Too Refrigeration LLC", "01811201510456",
     "пр. Чуй 55, Бишкек", ["dealer", "importer"]),
    ("KZ", "ТОО «АлматыХладоТорг»", "AlmatyKhladoTorg LLP", "120540012345",
     "ул. Райымбека 212, Алматы", ["dealer", "importer", "exporter"]),
    ("KZ", "ТОО «Хоргос Логистик Сервис»", "Khorgos Logistic Service LLP", "150240098765",
     "Жаркент, Панфиловский район", ["exporter", "importer"]),
    ("UZ", "OOO «Toshkent Sovuq Import»", "Tashkent Sovuq Import LLC", "305123456",
     "Chilonzor tumani, 7-kvartal, Toshkent", ["importer", "dealer"]),
    ("UZ", "OOO «Sovuqlik Qayta Ishlash»", "Sovuqlik Reclamation LLC", "306654321",
     "Sergeli tumani, Toshkent", ["reclaimer", "destruction"]),
]

TECHNICIANS = [
    # country, full name, Latin name, national ID, birth date, phone, employer registration number
    ("KG", "Асанов Нурлан Бакытович", "Asanov Nurlan Bakytovich", "21203199000123", date(1990, 3, 12),
     "+996 555 000 101", "02304201710123"),
    ("KG", "Жумабекова Айгуль Талантовна", "Zhumabekova Aigul Talantovna", "11507198800456", date(1988, 7, 15),
     "+996 555 000 102", "02304201710123"),
    ("KZ", "Серикбаев Ерлан Маратович", "Serikbayev Yerlan Maratovich", "850612300111", date(1985, 6, 12),
     "+7 701 000 0201", "120540012345"),
    ("KZ", "Ким Виктор Сергеевич", "Kim Viktor Sergeyevich", "920101300222", date(1992, 1, 1),
     "+7 701 000 0202", None),
    ("UZ", "Rahimov Bobur Alisherovich", "Rahimov Bobur Alisherovich", "AB1234567", date(1987, 9, 23),
     "+998 90 000 0301", "305123456"),
]

USERS = [
    # e-mail, display name, role, country, company reg. no., technician national ID
    ("admin@kg.example.org", "Kyrgyz NOU administrator", Role.ADMIN, "KG", None, None),
    ("officer@kg.example.org", "Certifying officer, Bishkek", Role.CERTIFYING_OFFICER, "KG", None, None),
    ("inspector@kg.example.org", "Customs inspector, Torugart", Role.INSPECTOR, "KG", None, None),
    ("auditor@kg.example.org", "Ministry auditor, Bishkek", Role.AUDITOR, "KG", None, None),
    ("service@kg.example.org", "Kholod-Servis office", Role.COMPANY_USER, "KG", "02304201710123", None),
    ("technician@kg.example.org", "Nurlan Asanov", Role.TECHNICIAN, "KG", None, "21203199000123"),
    ("admin@kz.example.org", "Kazakh NOU administrator", Role.ADMIN, "KZ", None, None),
    ("officer@kz.example.org", "Certifying officer, Astana", Role.CERTIFYING_OFFICER, "KZ", None, None),
    ("inspector@kz.example.org", "Customs officer, Khorgos", Role.INSPECTOR, "KZ", None, None),
    ("auditor@kz.example.org", "Ministry auditor, Astana", Role.AUDITOR, "KZ", None, None),
    ("dealer@kz.example.org", "AlmatyKhladoTorg counter", Role.COMPANY_USER, "KZ", "120540012345", None),
    ("admin@uz.example.org", "Uzbek NOU administrator", Role.ADMIN, "UZ", None, None),
    ("officer@uz.example.org", "Certifying officer, Tashkent", Role.CERTIFYING_OFFICER, "UZ", None, None),
    ("importer@uz.example.org", "Toshkent Sovuq Import office", Role.COMPANY_USER, "UZ", "305123456", None),
]


def has_users() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 0


def _company(country: str, reg: str) -> Company | None:
    return db.session.scalar(
        sa.select(Company).where(Company.country_code == country, Company.registration_number == reg)
    )


def _technician(country: str, nid: str) -> Technician | None:
    return db.session.scalar(
        sa.select(Technician).where(Technician.country_code == country, Technician.national_id == nid)
    )


def load_registry() -> int:
    created = 0
    for country, legal, latin, reg, address, activities in COMPANIES:
        if _company(country, reg) is None:
            registry.create_company(ACTOR, registry.CompanyData(
                country_code=country, legal_name=legal, name_latin=latin, registration_number=reg,
                address=address, activities=activities, email=None, phone=None,
            ))
            created += 1
    for country, full, latin, nid, born, phone, employer in TECHNICIANS:
        technician = _technician(country, nid)
        if technician is None:
            technician = registry.create_technician(ACTOR, registry.TechnicianData(
                country_code=country, full_name=full, full_name_latin=latin, national_id=nid,
                date_of_birth=born, phone=phone,
            ))
            registry.add_training(ACTOR, technician, course="Good practices in refrigeration (ODS and HFC handling)",
                                  completed_on=date(2024, 4, 18), provider="National Ozone Unit training centre")
            if employer:
                registry.add_employment(ACTOR, _company(country, employer), national_id=nid,
                                        started_on=date(2021, 2, 1))
            created += 1
    for email, name, role, country, reg, nid in USERS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            auth.create_user(ACTOR, auth.UserData(
                email=email, display_name=name, role=role.value, country_code=country,
                company_id=_company(country, reg).id if reg else None,
                technician_id=_technician(country, nid).id if nid else None,
            ), DEMO_PASSWORD)
            created += 1
    for email, *_rest in USERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user.is_official and not user.has_second_factor:
            secret = demo_totp_secret(email)
            twofactor.confirm_enrolment(Actor.of(user), user, secret, pyotp.TOTP(secret).now())
            user.totp_last_step = None  # the demo may sign in with the current code right away
    return created


def demo_totp_secret(email: str) -> str:
    """The published TOTP secret of a demo official (derived from the e-mail, so every demo has the same)."""
    return base64.b32encode(hashlib.sha256(f"certreg demo {email}".encode()).digest()[:20]).decode()


# Certificates: (country, holder kind, national ID or registration number, categories,
#                valid from, valid until, what happens next: None | "suspend" | "revoke")
NATIONAL_SCOPES = [
    ("KG", "KG-ODS", "ODS recovery", "Извлечение ОРВ", ["recover", "purchase"], ["cfc", "hcfc"]),
    ("KG", "KG-MAC", "Mobile air-conditioning", "Автомобильные кондиционеры",
     ["install", "maintain", "repair", "recover", "purchase"], ["hfc", "hfo"]),
    ("KZ", "KZ-HALON", "Halon fire protection", "Галоновое пожаротушение",
     ["maintain", "recover", "decommission", "purchase"], ["halon"]),
]
CERTIFICATES = [
    ("KG", "technician", "21203199000123", ["A1", "KG-ODS"], date(2025, 4, 1), date(2030, 3, 31), None),
    ("KG", "technician", "11507198800456", ["A2", "KG-MAC"], date(2022, 1, 15), None, "expiring"),
    ("KZ", "technician", "850612300111", ["A1", "B"], date(2024, 9, 1), date(2029, 8, 31), None),
    ("KZ", "technician", "920101300222", ["II"], date(2024, 6, 1), date(2029, 3, 12), "suspend"),
    ("UZ", "technician", "AB1234567", ["A1"], date(2025, 2, 1), date(2030, 1, 31), None),
    ("KG", "company", "02304201710123", ["CO-SERVICE"], date(2025, 1, 10), date(2030, 1, 9), None),
    ("KG", "company", "01811201510456", ["CO-DEALER", "CO-IMPORT"], date(2024, 3, 1), date(2029, 2, 28), "revoke"),
    ("KZ", "company", "120540012345", ["CO-DEALER", "CO-IMPORT"], date(2025, 5, 1), date(2030, 4, 30), None),
    ("KZ", "company", "150240098765", ["CO-IMPORT"], date(2025, 7, 1), date(2030, 6, 30), None),
    ("UZ", "company", "305123456", ["CO-IMPORT", "CO-DEALER"], date(2025, 3, 1), date(2030, 2, 28), None),
    ("UZ", "company", "306654321", ["CO-RECLAIM", "CO-DESTRUCT"], date(2025, 3, 1), date(2030, 2, 28), None),
]


def load_certificates() -> int:
    """National scopes and certificates (one suspended, one revoked, one expiring soon).

    Needs signing keys (``flask keys ensure --country KG --country KZ --country UZ``); countries
    without a key are skipped.
    """
    created = 0
    for country, code, name_en, name_ru, activities, substances in NATIONAL_SCOPES:
        if db.session.scalar(sa.select(CertificateCategory.id).where(CertificateCategory.code == code)) is None:
            catalogue.create_national_scope(ACTOR, catalogue.CategoryData(
                country_code=country, code=code, name_en=name_en, name_ru=name_ru, activities=activities,
                substances=substances))
            created += 1
    today = states.today()
    for country, kind, key, categories, valid_from, valid_until, then in CERTIFICATES:
        holder = _technician(country, key) if kind == "technician" else _company(country, key)
        if holder is None or active_key_row(country) is None \
                or certificate_queries.holder_certificates(kind, holder.id):
            continue
        if then == "expiring":
            valid_until = today + timedelta(days=25)
        cert = lifecycle.issue(ACTOR, lifecycle.IssueData(
            holder_kind=kind, holder_id=holder.id, categories=categories, valid_from=valid_from,
            valid_until=valid_until))
        if then == "suspend":
            lifecycle.suspend(ACTOR, cert, "Logbook not kept for six months; inspection pending",
                                 until=today + timedelta(days=60))
        elif then == "revoke":
            lifecycle.revoke(ACTOR, cert, "Sold virgin CFC-12 relabelled as HFC-134a (customs case 2026/117)")
        created += 1
    return created


def load_logbook() -> int:
    """Logbooks: imports with proof of origin, sales to certified buyers, charges and recoveries.

    The Tashkent importer imports HCFC-22 under licence; the Almaty dealer imports R-404A,
    sells it to certified technicians (one of them across the border in Bishkek) and exports
    a lot to Tashkent (awaiting confirmation); the Bishkek technician charges and recovers
    shop freezers that carry QR labels (one leaks). A few attempts are refused: a sale to a
    suspended certificate, "recovered" gas never recovered, virgin CFC-12 after the ban.
    Checkpoints are signed where a key exists. Skipped if the importer's logbook has entries.
    """
    # One piece on purpose: the demo's story, told in the order it happens.
    importer, dealer = _company("UZ", "305123456"), _company("KZ", "120540012345")
    bishkek, almaty = _technician("KG", "21203199000123"), _technician("KZ", "850612300111")
    tashkent, suspended = _technician("UZ", "AB1234567"), _technician("KZ", "920101300222")
    if None in (importer, dealer, bishkek, almaty, tashkent, suspended):
        return 0
    holders = {name: logbook_holders.holder(kind, record.id) for name, kind, record in (
        ("importer", HolderKind.COMPANY, importer), ("dealer", HolderKind.COMPANY, dealer),
        ("bishkek", HolderKind.TECHNICIAN, bishkek), ("almaty", HolderKind.TECHNICIAN, almaty),
        ("tashkent", HolderKind.TECHNICIAN, tashkent))}
    existing = logbook_holders.logbook_for(holders["importer"])
    if existing is not None and db.session.scalar(sa.select(Entry.id).where(Entry.logbook_id == existing.id)):
        return 0

    def actor_for(email: str) -> Actor:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        return Actor.of(user) if user is not None else ACTOR

    def certificate(kind: str, record) -> str | None:
        found = certificate_queries.holder_certificates(kind, record.id)
        return found[0].number if found else None

    today = utc_today()
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    kg = Decimal
    created = 0

    def record(who: str, actor: Actor, **values) -> Entry:
        nonlocal created
        late_after = logbook_settings.late_entry_limits(holders[who].country_code)[0]
        if (today - values["operation_date"]).days > late_after:  # history typed in from the paper logbook
            values.setdefault("reason", "Transcribed from the paper logbook")
        entry = recording.record_entry(actor, holders[who], drafts.EntryData(**values))
        created += 1
        return entry

    def attempt(who: str, actor: Actor, **values) -> None:
        """A refused attempt: rolled back, and kept as a refused attempt like any other."""
        try:
            with db.session.begin_nested():
                record(who, actor, **values)
        except ValidationFailed as exc:
            for action in exc.after_rollback:
                action()

    uz_office, kz_counter = actor_for("importer@uz.example.org"), actor_for("dealer@kz.example.org")
    # The licence register: the imports and exports below name these licences and are checked against them.
    from certreg.licences import services as licence_services

    # Caps in ODP / CO2-eq tonnes beside the kilograms, as the licensing authorities write them: HCFC-22's
    # 2,000 kg are 0.11 ODP tonnes (ODP 0.055); Almaty's 2,400 t CO2-eq cover its 600 kg of R-404A (GWP 3,922).
    for country, number, company, direction, scope, cap, odp_t, co2e_t, partner in (
            ("UZ", "UZ-ODS-IMP-2026/014", "305123456", "import", ["HCFC-22"], "2000", "0.11", None, "CN"),
            ("KZ", "KZ-IMP-2026-0077", "120540012345", "import", ["R-404A", "HCFC-22"], "600", None, "2400", "CN"),
            ("KZ", "KZ-EXP-2026-0113", "120540012345", "export", ["R-404A"], "150", None, None, "UZ"),
            ("KZ", "KZ-EXP-2026-0098", "120540012345", "export", ["R-404A"], "20", None, None, "KG")):
        licence_services.issue(ACTOR, country, licence_services.LicenceData(
            number=number, company_registration=company, direction=direction, scope=scope, cap_kg=cap,
            cap_odp_t=odp_t, cap_co2e_t=co2e_t,
            valid_from=day(180), valid_until=today + timedelta(days=185), partner_countries=[partner],
            issuing_authority="Ministry of Ecology" if country == "KZ" else "Ministry of Natural Resources"))
    nurlan = actor_for("technician@kg.example.org")
    # Tashkent: HCFC-22 under licence, with proof of origin; some sold to a certified technician.
    record("importer", uz_office, kind="import", operation_date=day(120), substance="HCFC-22", quantity=kg("1200"),
           import_licence="UZ-ODS-IMP-2026/014", customs_declaration="10702/150326/0004411", origin_country="CN",
           exporter_name="Quzhou Example Fluorochem Co., Ltd.", document_numbers="Invoice QEF-26-0311",
           cylinders=[f"QEF-22-{n:05d}" for n in range(1, 6)])
    record("importer", uz_office, kind="import", operation_date=day(45), substance="HCFC-22", quantity=kg("600"),
           import_licence="UZ-ODS-IMP-2026/031", customs_declaration="10702/110826/0009920", origin_country="IN",
           exporter_name="Gujarat Example Refrigerants Pvt. Ltd.", document_numbers="Invoice GER/2026/448")
    uz_cert = certificate("technician", tashkent)
    if uz_cert:
        sale = record("importer", uz_office, kind="sale", operation_date=day(40), substance="HCFC-22",
                      quantity=kg("27.2"), buyer_certificate=uz_cert, document_numbers="Invoice TSI-0917",
                      cylinders=["QEF-22-00004", "QEF-22-00005"])
        transfers.confirm_transfer(ACTOR, logbook_queries.transfer_of(sale).id)
    # Almaty: R-404A imported, sold only to certified buyers; an export lot awaits Tashkent's confirmation.
    record("dealer", kz_counter, kind="import", operation_date=day(100), substance="R-404A", quantity=kg("544"),
           import_licence="KZ-IMP-2026-0077", customs_declaration="50508/200826/0031177", origin_country="CN",
           exporter_name="Shandong Example Chemical Co., Ltd.", document_numbers="Invoice SEC-8841",
           cylinders=[f"SEC-404-{n:04d}" for n in range(1, 41)])
    number = certificate("technician", almaty)
    if number:
        sale = record("dealer", kz_counter, kind="sale", operation_date=day(60), substance="R-404A",
                      quantity=kg("10.9"), buyer_certificate=number, document_numbers="Receipt AKT-60")
        transfers.confirm_transfer(ACTOR, logbook_queries.transfer_of(sale).id)
    # Bishkek's R-404A crossed a border: exported by Almaty under its licence to a Kyrgyz importer
    # (a sale to a buyer certified in another country is refused: sale_cross_border); Nurlan buys it in Bishkek.
    record("dealer", kz_counter, kind="export", operation_date=day(52), substance="R-404A", quantity=kg("13.6"),
           export_licence="KZ-EXP-2026-0098", destination_country="KG", counterparty_name="Ala-Too Refrigeration LLC",
           document_numbers="CMR 440871")
    record("bishkek", nurlan, kind="purchase", operation_date=day(50), substance="R-404A", quantity=kg("13.6"),
           counterparty_name="Ala-Too Refrigeration LLC", counterparty_country="KG", document_numbers="Receipt AT-50")
    record("dealer", kz_counter, kind="export", operation_date=day(12), substance="R-404A", quantity=kg("108.8"),
           export_licence="KZ-EXP-2026-0113", destination_country="UZ", counterparty_registration="305123456",
           document_numbers="CMR 445102")
    suspended_cert = certificate("technician", suspended)
    if suspended_cert:
        attempt("dealer", kz_counter, kind="sale", operation_date=today, substance="R-404A", quantity=kg("9.5"),
                buyer_certificate=suspended_cert)
    if uz_cert:
        attempt("dealer", kz_counter, kind="sale", operation_date=day(4), substance="R-404A", quantity=kg("20"),
                condition="recovered", buyer_certificate=certificate("technician", almaty) or uz_cert)
    attempt("importer", uz_office, kind="import", operation_date=day(3), substance="CFC-12", quantity=kg("120"),
            import_licence="UZ-ODS-IMP-2026/040", customs_declaration="10702/230926/0011002", origin_country="CN",
            exporter_name="Unknown trading company")
    # Bishkek: shop freezers with QR labels; charges, a recovery, leak checks; one chronic leaker.
    freezers = []
    for owner, site, charge in (("Narodny supermarket No. 12", "Bishkek, Manas Ave 40", "6.5"),
                                ("Globus market, fish counter", "Bishkek, Chui Ave 155", "4.2"),
                                ("Dordoi bazaar cold room 7", "Bishkek, Dordoi market, row 14", "9.0")):
        freezers.append(equipment_services.register(nurlan, holders["bishkek"], equipment_services.EquipmentData(
            owner_kind="company", owner_name=owner, site_address=site, kind="commercial_refrigeration",
            substance="R-404A", nominal_charge=kg(charge), description="Remote condensing unit, R-404A")))
    works = [
        (freezers[0], "leak_check", 48, {"leak_check_result": "no_leak"}),
        (freezers[1], "repair", 45, {"recovered_quantity": kg("3.1"), "charge_quantity": kg("3.9"),
                                    "note": "Cracked flare nut on the liquid line replaced"}),
        (freezers[2], "charge", 40, {"charge_quantity": kg("1.4"), "note": "Top-up after a door heater fault"}),
        (freezers[2], "charge", 20, {"charge_quantity": kg("1.2")}),
        (freezers[2], "leak_check", 19, {"leak_check_result": "leak_found", "note": "Evaporator coil corroded"}),
    ]
    for unit, kind, days, extra in works:
        equipment_services.record_intervention(nurlan, holders["bishkek"], unit, equipment_services.InterventionData(
            kind=kind, performed_on=day(days), **extra))
        created += 1
    logbook_settings.update_settings(ACTOR, "KZ", used_ods_sales="reclaimed_only", leak_rate_threshold=None)
    for country in ("KG", "KZ", "UZ"):
        if active_key_row(country) is not None:
            checkpointing.create_checkpoint(ACTOR, country)
    return created


def load_reports() -> int:
    """A first tamper check of each country's log, so the anomaly list can say when the logs were checked."""
    created = 0
    for country in db.session.scalars(sa.select(MerkleLog.country_code).order_by(MerkleLog.country_code)):
        if db.session.scalar(sa.select(LogCheck.id).where(LogCheck.country_code == country).limit(1)) is None:
            reports.run_log_check(ACTOR, country)
            created += 1
    return created


#: A small fleet per importing or dealing company: (stamp number suffix, kind, litres, substance, kg).
CYLINDER_FLEET = [
    ("R404A-1", "refillable", "26.8", "R-404A", "20"),
    ("R134A-1", "non_refillable", "13.6", "HFC-134a", "13.6"),
    ("REC-1", "recovery", "26.8", None, "0"),
]
#: The smuggling story: a disposable HFC-134a cylinder imported at Khorgos, sold to an Almaty dealer
#: and emptied; the dealer then tries to have it refilled (refused: non-refillable), and its
#: still-valid label turns up on a full cylinder at a market, where the customs inspector scans it
#: (the scan page warns). The ministry's anomaly list ranks both (certreg.reports.cylinder_anomalies).
SMUGGLED_STAMP = "DEMO-KZ-SMUGGLED"
MARKET_INSPECTOR = "inspector@kz.example.org"


def load_cylinders() -> int:
    """A few cylinders per importing or dealing company, and the smuggling story in KZ."""
    def exists(stamp: str) -> bool:
        return db.session.scalar(sa.select(Cylinder.id).where(Cylinder.stamp_number == stamp)) is not None

    def add(owner: Company, stamp: str, kind: str, litres: str, substance: str | None, kg: str) -> Cylinder:
        contents = FillData(substance, Decimal(kg), origin_country="CN", batch="DEMO") if substance else None
        return registration.register(ACTOR, registration.RegisterData(
            owner_company_id=owner.id, kind=CylinderKind(kind), water_capacity_l=Decimal(litres),
            tare_kg=Decimal("7.5"), manufacturer="Demo Cylinders", stamp_number=stamp, contents=contents))

    created = 0
    for country, _legal, _latin, reg, _address, activities in COMPANIES:
        owner = _company(country, reg)
        if owner is None or not {"dealer", "importer"} & set(activities) or keys.active_key_row(country) is None:
            continue  # labels are signed: no key, no fleet
        for suffix, kind, litres, substance, kg in CYLINDER_FLEET:
            stamp = f"DEMO-{reg}-{suffix}"
            if not exists(stamp):
                add(owner, stamp, kind, litres, substance, kg)
                created += 1
    kz_dealer = next((_company(c[0], c[3]) for c in COMPANIES if c[0] == "KZ" and "dealer" in c[5]), None)
    kz_importer = _company("KZ", "150240098765") or kz_dealer
    if kz_dealer is not None and keys.active_key_row("KZ") is not None and not exists(SMUGGLED_STAMP):
        cylinder = add(kz_importer, SMUGGLED_STAMP, "non_refillable", "13.6", "HFC-134a", "13.6")
        custody.transfer(ACTOR, cylinder, kz_dealer)
        custody.charge(ACTOR, cylinder, Decimal("13.6"), note="Demo: emptied; its label reappears at a market")
        _smuggled_refill_and_market_scan(cylinder)
        demo_custody_gap.record(ACTOR, kz_importer)  # its stock count misses its HFC-134a cylinder
        created += 1
    db.session.flush()
    return created


def load_quotas() -> int:
    """National limits and quotas near their limit: HCFCs in KG, KZ and UZ, HFCs in KZ (the later schedule);
    Almaty's quota is almost used by its R-404A import, a quota moved to it, and a larger import refused."""
    dealer = _company("KZ", "120540012345")
    if dealer is None or db.session.scalar(sa.select(QuotaBaseline.id).limit(1)) is not None:
        return 0
    year, source = utc_today().year, "Demo figure (not the Party's data as reported to the Ozone Secretariat)"
    for country, group, baseline in (("KG", "C/I", "4.1"), ("KZ", "C/I", "80"), ("KZ", "F", "5000"),
                                     ("UZ", "C/I", "21")):
        quotas.set_baseline(ACTOR, country, group, baseline, source)
    for country, group, company, amount in (
            ("KG", "C/I", "01811201510456", "1.2"), ("KZ", "C/I", "120540012345", "0.3"),
            ("KZ", "F", "120540012345", "2200"), ("KZ", "F", "150240098765", "1000"),
            ("UZ", "C/I", "305123456", "0.1")):
        if _company(country, company) is not None:
            quotas.allocate(ACTOR, country, year, group, company, amount, "Annual import quota")
    if _company("KZ", "150240098765") is not None:
        quotas.transfer(ACTOR, "KZ", year, "F", "150240098765", "120540012345", "40",
                        "Khorgos will not use it this year")
    try:  # 50 kg more R-404A would pass the licence (56 kg left) but not the quota: refused, and kept
        with db.session.begin_nested():
            recording.record_entry(ACTOR, logbook_holders.holder(HolderKind.COMPANY, dealer.id), drafts.EntryData(
                kind="import", operation_date=utc_today(), substance="R-404A", quantity=Decimal("50"),
                import_licence="KZ-IMP-2026-0077", customs_declaration="50508/011226/0039012", origin_country="CN",
                exporter_name="Shandong Example Chemical Co., Ltd."))
    except ValidationFailed as exc:
        for action in exc.after_rollback:
            action()
    return 10


def _smuggled_refill_and_market_scan(cylinder) -> None:
    """The refill the rules refuse (kept as a refused attempt, as a request would keep it after its
    rollback: the refusal is checked before anything changes) and the inspector's scan at a market."""
    try:
        custody.fill(ACTOR, cylinder, FillData("HFC-134a", Decimal("13.6"), ContentCondition.VIRGIN,
                                               origin_country="CN", batch="NO-PAPERS"))
    except ValidationFailed as refused:
        for keep in refused.after_rollback:
            keep()
    inspector = db.session.scalar(sa.select(User).where(User.email == MARKET_INSPECTOR))
    scanning.scan(cylinder.token, client="demo:barakholka-market",
                  inspector=Actor.of(inspector) if inspector is not None else None)


def load_all() -> int:
    """Load every feature's demo data, in dependency order. The demo countries get their signing keys
    first: without them no certificate is issued, and a technician without one may not charge."""
    created = load_registry()
    demo_countries = sorted({country for _email, _name, _role, country, _reg, _nid in USERS})
    ensure_keys(ACTOR, demo_countries)
    ensure_federation_key(ACTOR)  # the fingerprint on /federation/peers, to give a neighbour's installation
    for code in demo_countries:
        # The demo writes a year and more of history at once: as a ministry would for a paper logbook
        # brought in, it lets those entries be recorded late (the settings page shows it).
        countries.update_settings(ACTOR, code, {"late_entry_days": DEMO_HISTORY_DAYS,
                                                "approval_days": DEMO_HISTORY_DAYS})
    return (created + load_certificates() + load_logbook() + demo_article7_uses.load() + load_quotas()
            + load_cylinders() + demo_shipments.load() + load_inspections() + load_reports() + licence_documents.load())


def logins_text() -> str:
    lines = [f"Demo accounts (password for all: {DEMO_PASSWORD}):"]
    for email, name, role, country, _reg, _nid in USERS:
        lines.append(f"  {email:<28} {role.value:<19} {country}  {name}")
    lines.append("")
    lines.append("Officials sign in with a code too: add these keys to an authenticator app, or run")
    lines.append("`flask demo code EMAIL` for the current code.")
    for email, _name, role, _country, _reg, _nid in USERS:
        if role in OFFICIAL_ROLES:
            lines.append(f"  {email:<28} {demo_totp_secret(email)}")
    return "\n".join(lines)
