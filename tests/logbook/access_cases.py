"""Access cases for the logbook, equipment and substance pages and API."""

from datetime import date
from decimal import Decimal

from tests.access import Case, expect
from tests.factories import SYSTEM, ensure_keys, make_certificate

HOLDERS = dict(company_user=200, technician=200)
KG_OFFICIALS = dict(admin=200, certifying_officer=200, inspector=200, auditor=200)
KZ_OFFICIALS = dict(kz_admin=200, kz_inspector=200)
ANY_USER = expect(200, anonymous=302)
HOLDERS_ONLY = expect(403, anonymous=302, **HOLDERS)
HOLDERS_ONLY_POST = expect(403, anonymous=302, company_user=422, technician=422)
OWN_COMPANY_READ = expect(404, anonymous=302, company_user=200, **KG_OFFICIALS)
KG_READ = expect(404, anonymous=302, **HOLDERS, **KG_OFFICIALS)
OFFICIALS = expect(403, anonymous=302, **KG_OFFICIALS, **KZ_OFFICIALS)
API_ANY_USER = expect(200, anonymous=401)
API_HOLDERS = expect(403, anonymous=401, **HOLDERS)
API_HOLDERS_POST = expect(403, anonymous=401, company_user=422, technician=422)
API_OWN_COMPANY = expect(404, anonymous=401, company_user=200, **KG_OFFICIALS)
API_KG_READ = expect(404, anonymous=401, **HOLDERS, **KG_OFFICIALS)
NEW = "11111111-2222-4333-8444-555555555555"  # a client id never used


def build(world) -> None:
    from certreg.extensions import db
    from certreg.logbook import checkpointing, drafts, holders, queries, recording
    from certreg.logbook import equipment as equipment_services

    ensure_keys()
    company = holders.holder("company", world.company_own.id)
    entry = recording.record_entry(SYSTEM, company, drafts.EntryData(
        kind="import", operation_date=date.today(), substance="R-404A", quantity=Decimal("50"),
        import_licence="KG-IMP-1", customs_declaration="DECL-1", origin_country="CN", exporter_name="Exporter"))
    unit = equipment_services.register(SYSTEM, company, equipment_services.EquipmentData(
        owner_kind="company", owner_name="Shop 12", site_address="Bishkek", kind="commercial_refrigeration",
        substance="R-404A", nominal_charge=Decimal("4.5")))
    cert = world.extra.get("cert_own") or make_certificate(world.technician_own)
    sale = recording.record_entry(SYSTEM, company, drafts.EntryData(
        kind="sale", operation_date=date.today(), substance="R-404A", quantity=Decimal("2"),
        buyer_certificate=cert.number))
    checkpoint = checkpointing.create_checkpoint(SYSTEM, "KG")
    db.session.commit()
    world.extra.update(entry_own=entry, equipment_own=unit, transfer_own=queries.transfer_of(sale),
                       checkpoint_own=checkpoint)


def company_ref(w):
    return f"company:{w.company_own.id}"


CASES = [
    # the logbook pages
    Case("GET", lambda w: "/logbook", ANY_USER, note="logbook (own, or the country's for officials)"),
    Case("GET", lambda w: "/logbook?kind=import&substance=r404a&cylinder=X&date_from=2020-01-01", ANY_USER,
         note="logbook with filters"),
    Case("GET", lambda w: f"/logbook/company/{w.company_own.id}", OWN_COMPANY_READ, note="a company's logbook"),
    Case("GET", lambda w: "/logbook/export.csv", ANY_USER, note="export CSV"),
    Case("GET", lambda w: f"/logbook/export.xlsx?holder={company_ref(w)}", OWN_COMPANY_READ,
         note="export a company's XLSX"),
    Case("GET", lambda w: "/logbook/entries/new", HOLDERS_ONLY, note="new entry form"),
    Case("POST", lambda w: "/logbook/entries/new", HOLDERS_ONLY_POST, note="new entry, empty"),
    Case("GET", lambda w: f"/logbook/entries/{w.entry_own.id}", OWN_COMPANY_READ, note="entry"),
    Case("POST", lambda w: f"/logbook/entries/{w.entry_own.id}/reverse",
         expect(404, anonymous=302, company_user=422, admin=403, certifying_officer=403, inspector=403, auditor=403),
         note="reverse, no reason"),
    Case("GET", lambda w: f"/logbook/entries/{w.entry_own.id}/proof.json", OWN_COMPANY_READ, note="inclusion proof"),
    Case("GET", lambda w: "/logbook/sale", HOLDERS_ONLY, note="point of sale"),
    Case("POST", lambda w: "/logbook/sale", HOLDERS_ONLY_POST, note="point of sale, empty"),
    Case("GET", lambda w: "/logbook/quick", HOLDERS_ONLY, note="quick entry"),
    Case("GET", lambda w: f"/logbook/quick?equipment={w.equipment_own.code}", HOLDERS_ONLY,
         note="quick entry for a scanned equipment"),
    Case("POST", lambda w: "/logbook/quick", HOLDERS_ONLY_POST, note="quick entry, empty"),
    Case("GET", lambda w: "/logbook/quick/offline", HOLDERS_ONLY, note="quick entry without network, and its queue"),
    Case("GET", lambda w: "/logbook/quick/sync/token", HOLDERS_ONLY, note="a token for the quick queue's sync"),
    Case("PUT", lambda w: f"/logbook/quick/sync/{NEW}", HOLDERS_ONLY_POST, note="sync a queued quick entry, empty"),
    Case("GET", lambda w: "/logbook/stock", HOLDERS_ONLY, note="stock"),
    Case("GET", lambda w: "/logbook/import", HOLDERS_ONLY, note="CSV import page"),
    Case("POST", lambda w: "/logbook/import", HOLDERS_ONLY_POST, note="CSV import page, no file"),
    Case("GET", lambda w: "/logbook/inbox", HOLDERS_ONLY, note="inbox"),
    Case("POST", lambda w: f"/logbook/transfers/{w.transfer_own.id}/confirm",
         expect(403, anonymous=302, technician=302, kz_admin=404, kz_inspector=404), note="confirm a purchase"),
    Case("POST", lambda w: f"/logbook/transfers/{w.transfer_own.id}/dispute",
         expect(403, anonymous=302, technician=302, kz_admin=404, kz_inspector=404), note="dispute, no reason"),
    # equipment
    Case("GET", lambda w: "/equipment", ANY_USER, note="equipment list"),
    Case("GET", lambda w: "/equipment/new", HOLDERS_ONLY, note="register equipment form"),
    Case("POST", lambda w: "/equipment/new", HOLDERS_ONLY_POST, note="register equipment, empty"),
    Case("GET", lambda w: f"/equipment/{w.equipment_own.id}", KG_READ, note="equipment"),
    Case("POST", lambda w: f"/equipment/{w.equipment_own.id}/interventions",
         expect(404, anonymous=302, company_user=422, technician=422, admin=403, certifying_officer=403,
                inspector=403, auditor=403), note="intervention, empty"),
    Case("GET", lambda w: f"/equipment/{w.equipment_own.id}/label", KG_READ, note="equipment label"),
    Case("GET", lambda w: f"/equipment/{w.equipment_own.id}/qr.svg", KG_READ, note="equipment QR"),
    Case("GET", lambda w: f"/e/{w.equipment_own.code}", expect(302, kz_admin=404, kz_inspector=404),
         note="scanned equipment label"),
    # officials
    Case("GET", lambda w: "/logbook/refusals", OFFICIALS, note="refused attempts"),
    Case("GET", lambda w: "/logbook/verify", expect(403, anonymous=302, admin=200, auditor=200, kz_admin=200),
         note="verify page"),
    Case("GET", lambda w: "/logbook/checkpoints", expect(200), note="checkpoints (public)"),
    Case("GET", lambda w: f"/logbook/checkpoints/{w.checkpoint_own.id}.txt", expect(200), note="checkpoint text"),
    Case("POST", lambda w: "/logbook/checkpoints", expect(403, anonymous=302, admin=302, kz_admin=302),
         note="sign a checkpoint"),
    Case("GET", lambda w: "/logbook/settings", expect(403, anonymous=302, admin=200, kz_admin=200), note="settings"),
    Case("POST", lambda w: "/logbook/settings", expect(403, anonymous=302, admin=422, kz_admin=422),
         note="settings, empty"),
    Case("GET", lambda w: "/substances?q=r22", expect(200), note="substance catalogue"),
]

API = [
    Case("GET", lambda w: "/api/v1/substances?q=r404a", expect(200), api=True, note="api substances"),
    Case("GET", lambda w: "/api/v1/substances/HCFC-22", expect(200), api=True, note="api substance"),
    Case("GET", lambda w: "/api/v1/logbook/entries", expect(200, anonymous=401), api=True, note="api entries"),
    Case("GET", lambda w: f"/api/v1/logbook/entries?holder={company_ref(w)}", API_OWN_COMPANY, api=True,
         note="api a company's entries"),
    Case("POST", lambda w: "/api/v1/logbook/entries", API_HOLDERS_POST, api=True, note="api record entry, empty"),
    Case("GET", lambda w: f"/api/v1/logbook/entries/{w.entry_own.id}", API_OWN_COMPANY, api=True, note="api entry"),
    Case("POST", lambda w: f"/api/v1/logbook/entries/{w.entry_own.id}/reversal",
         expect(404, anonymous=401, company_user=422, admin=403, certifying_officer=403, inspector=403, auditor=403),
         api=True, note="api reverse, empty"),
    Case("GET", lambda w: f"/api/v1/logbook/entries/{w.entry_own.id}/proof", API_OWN_COMPANY, api=True,
         note="api proof"),
    Case("POST", lambda w: "/api/v1/logbook/sales/check", API_HOLDERS_POST, api=True, note="api sale check, empty"),
    Case("GET", lambda w: f"/api/v1/logbook/stock?holder={company_ref(w)}", API_OWN_COMPANY, api=True,
         note="api stock"),
    Case("POST", lambda w: "/api/v1/logbook/imports", expect(403, anonymous=401, company_user=415, technician=415),
         api=True, note="api CSV import, not CSV"),
    Case("GET", lambda w: "/api/v1/logbook/transfers", API_HOLDERS, api=True, note="api transfers"),
    Case("POST", lambda w: f"/api/v1/logbook/transfers/{w.transfer_own.id}/confirm",
         expect(403, anonymous=401, technician=201, kz_admin=404, kz_inspector=404), api=True, note="api confirm"),
    Case("POST", lambda w: f"/api/v1/logbook/transfers/{w.transfer_own.id}/dispute",
         expect(403, anonymous=401, technician=422, kz_admin=404, kz_inspector=404), api=True,
         note="api dispute, empty"),
    Case("GET", lambda w: "/api/v1/logbook/refusals", expect(403, anonymous=401, **KG_OFFICIALS, **KZ_OFFICIALS),
         api=True, note="api refusals"),
    Case("GET", lambda w: "/api/v1/logbook/checkpoints", expect(200), api=True, note="api checkpoints"),
    Case("GET", lambda w: f"/api/v1/logbook/checkpoints/{w.checkpoint_own.id}", expect(200), api=True,
         note="api checkpoint"),
    Case("POST", lambda w: "/api/v1/logbook/checkpoints", expect(403, anonymous=401, admin=201, kz_admin=201),
         api=True, note="api sign checkpoint"),
    Case("GET", lambda w: "/api/v1/logbook/verify", expect(403, anonymous=401, admin=200, auditor=200, kz_admin=200),
         api=True, note="api verify"),
    Case("GET", lambda w: "/api/v1/logbook/settings", expect(403, anonymous=401, admin=200, kz_admin=200), api=True,
         note="api settings"),
    Case("PUT", lambda w: "/api/v1/logbook/settings", expect(403, anonymous=401, admin=422, kz_admin=422), api=True,
         note="api settings, empty"),
    Case("GET", lambda w: "/api/v1/equipment", expect(200, anonymous=401), api=True, note="api equipment list"),
    Case("POST", lambda w: "/api/v1/equipment", API_HOLDERS_POST, api=True, note="api register equipment, empty"),
    Case("GET", lambda w: f"/api/v1/equipment/{w.equipment_own.id}", API_KG_READ, api=True, note="api equipment"),
    Case("POST", lambda w: f"/api/v1/equipment/{w.equipment_own.id}/interventions",
         expect(404, anonymous=401, company_user=422, technician=422, admin=403, certifying_officer=403,
                inspector=403, auditor=403), api=True, note="api intervention, empty"),
    Case("PUT", lambda w: f"/api/v1/quick-entries/{NEW}", API_HOLDERS_POST, api=True, data=lambda w: {},
         note="api quick entry by client id, empty"),
]
CASES += API
