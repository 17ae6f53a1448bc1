"""One path per action: one table of legal and illegal entries, run through every surface that records them.

The entry page (form POST), the point of sale page (sales), the API (``POST /logbook/entries``),
the CSV import from the command line (``flask logbook import``) and through the API
(``POST /logbook/imports``) must give the same verdict with the same stable code, and write
nothing when they refuse. ``test_rules.py`` checks each rule through the service with its details.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import template_rendered

from certreg.actors import Actor
from certreg.certificates import lifecycle
from certreg.countries import services as countries
from certreg.extensions import db
from certreg.logbook import equipment as equipment_services
from certreg.logbook import imports, recording
from certreg.logbook.models import Entry
from certreg.registry.models import Activity, CompanyActivity
from tests import factories
from tests.conftest import login, post_form
from tests.logbook.conftest import TODAY, certify, entry_data, set_annex_ab_ban
from tests.logbook.test_import import run_import

SYSTEM = Actor.system("tests")
BAN = TODAY - timedelta(days=10)
STOCKED_ON = BAN - timedelta(days=20)


def _technician(categories=("A1",), **dates):
    def make(people, app):
        return certify(people.kz_tech_record, categories, **dates).number
    return make


def _changed(change, *, scanned=False):
    def make(people, app):
        cert = certify(people.kz_tech_record, ("A1",))
        getattr(lifecycle, change)(SYSTEM, cert, "Logbook not kept")
        db.session.commit()
        return f"{app.config['PUBLIC_BASE_URL']}/v/{cert.token}" if scanned else cert.number
    return make


def _foreign_technician(people, app):
    return certify(people.tech_record, ("A1",)).number


def _company(activity, category):
    def make(people, app):
        return certify(factories.make_company(country_code="KZ", activities=[activity]), (category,)).number
    return make


def _without(activity):
    """The dealer (who records every case) loses a registered activity."""
    def make(people, app):
        company = people.dealer_company
        company.activities = [a for a in company.activities if a.activity.value != activity]
        db.session.commit()
    return make


def _with(activity):
    """The dealer (who records every case) registers one more activity (e.g. producer)."""
    def make(people, app):
        company = people.dealer_company
        company.activities = [*company.activities, CompanyActivity(activity=Activity(activity))]
        db.session.commit()
    return make


def _methyl_bromide(people, app):
    """The dealer imported 50 kg of methyl bromide for quarantine and pre-shipment (past its ban: the use allows it)."""
    recording.record_entry(people.dealer_actor, people.dealer, entry_data(
        "import", substance="methyl-bromide", quantity=Decimal("50"), operation_date=STOCKED_ON,
        exempted_use="quarantine"))
    db.session.commit()


def _as_technician(people, app):
    return {"as": "technician"}


def _company_certificate(state):
    """The country requires a company certificate for trading; the dealer's is ``state`` (or none)."""
    def make(people, app):
        countries.update_settings(SYSTEM, "KZ", {"company_certificate_required": True})
        if state is not None:
            cert = certify(people.dealer_company, ("CO-IMPORT",))
            if state == "revoked":
                lifecycle.revoke(SYSTEM, cert, "Licence withdrawn")
        db.session.commit()
    return make


def _late_limits(people, app):
    countries.update_settings(SYSTEM, "KZ", {"late_entry_days": 30, "approval_days": 365})
    db.session.commit()


def _dealers_equipment(people, app):
    """Equipment of the dealer's (its service activity) charged with R-404A."""
    unit = equipment_services.register(people.dealer_actor, people.dealer, equipment_services.EquipmentData(
        owner_kind="company", owner_name="Shop 7", site_address="Almaty", kind="commercial_refrigeration",
        substance="R-404A", nominal_charge=Decimal("10")))
    db.session.commit()
    return {"equipment": unit.code}


def _technicians_equipment(certified: bool, stock: bool = True):
    """The KZ technician records the case (``as``), on their own unit, with (or without) a certificate."""
    def make(people, app):
        if certified:
            certify(people.kz_tech_record, ("A1",))
        if stock:
            recording.record_entry(people.kz_tech_actor, people.kz_technician, entry_data(
                "purchase", substance="R-404A", quantity=Decimal("10"), counterparty_name="Registered dealer"))
        unit = equipment_services.register(people.kz_tech_actor, people.kz_technician,
                                           equipment_services.EquipmentData(
            owner_kind="company", owner_name="Shop 9", site_address="Almaty", kind="commercial_refrigeration",
            substance="R-404A", nominal_charge=Decimal("10")))
        db.session.commit()
        return {"equipment": unit.code, "as": "technician"}
    return make


def _licence(status="active", cap_kg="100", required=True, direction="import", number="KZ-IMP-1", partner="CN",
             scope=("HCFC-22",), cap_odp_t=None, cap_co2e_t=None):
    """KZ requires registered licences; the dealer holds ``number`` for ``scope`` with ``partner`` (its caps)."""
    def make(people, app):
        from certreg.licences import services as licences

        if required:
            countries.update_settings(SYSTEM, "KZ", {"licences_required": True})
        licence = licences.issue(SYSTEM, "KZ", licences.LicenceData(
            number=number, company_registration=people.dealer_company.registration_number, direction=direction,
            scope=list(scope), cap_kg=cap_kg, valid_from=TODAY - timedelta(days=5),
            valid_until=TODAY + timedelta(days=300), issuing_authority="Ministry of Ecology",
            partner_countries=[partner], cap_odp_t=cap_odp_t, cap_co2e_t=cap_co2e_t))
        if status != "active":
            licences.change_status(SYSTEM, licence, status, "Customs inquiry")
        db.session.commit()
    return make


def _quota(kg: str):
    """KZ allocated HCFC quotas for this year; the dealer's covers ``kg`` of HCFC-22 beyond its stocking import."""
    def make(people, app):
        from certreg.quotas import services as quotas

        stocked_kg = Decimal(100) if STOCKED_ON.year == TODAY.year else Decimal(0)
        quotas.set_baseline(SYSTEM, "KZ", "C/I", "100", "Ozone Secretariat")
        quotas.allocate(SYSTEM, "KZ", TODAY.year, "C/I", people.dealer_company.registration_number,
                        (stocked_kg + Decimal(kg)) * Decimal("0.055") / 1000)
        db.session.commit()
    return make


def _then(*makers):
    def make(people, app):
        made = None
        for maker in makers:
            made = maker(people, app) or made
        return made
    return make


def _importer(people, app):
    return factories.make_company(country_code="UZ", activities=["importer"]).registration_number


def sale(substance="R-404A", quantity="10", day=TODAY, buyer=None, **more):
    return {"kind": "sale", "operation_date": day, "substance": substance, "quantity": quantity,
            "condition": "virgin", "buyer_certificate": buyer, **more}


IMPORT = {"kind": "import", "operation_date": TODAY, "substance": "HCFC-22", "quantity": "5", "condition": "virgin",
          "import_licence": "KZ-IMP-1", "customs_declaration": "DECL-1", "origin_country": "CN",
          "exporter_name": "Example Chemical Co."}
CHARGE = {"kind": "charge", "operation_date": TODAY, "substance": "R-404A", "quantity": "2", "condition": "virgin"}
EXPORT = {"kind": "export", "operation_date": TODAY, "substance": "HCFC-22", "quantity": "5", "condition": "virgin",
          "export_licence": "KZ-EXP-1", "destination_country": "UZ"}

PRODUCTION = {"kind": "production", "operation_date": TODAY, "substance": "HCFC-22", "quantity": "5",
              "condition": "virgin"}
FEEDSTOCK = {**PRODUCTION, "kind": "feedstock_use"}
QPS = {**PRODUCTION, "kind": "qps_use", "substance": "methyl-bromide"}
EXEMPTED = {**PRODUCTION, "kind": "exempted_use", "substance": "CFC-12", "exempted_use": "laboratory",
            "exemption_reference": "Decision XXXVI/5"}

# case: (entry; a value made per test for buyer_certificate or counterparty_registration; expected code or None)
CASES = {
    # sales: the buyer's certificate must be valid that day and allow buying the substance
    "sale, valid technician": (sale(), _technician(), None),
    "sale, suspended": (sale(), _changed("suspend"), "certificate_suspended"),
    "sale, revoked": (sale(), _changed("revoke"), "certificate_revoked"),
    "sale, revoked, scanned QR": (sale(), _changed("revoke", scanned=True), "certificate_revoked"),
    "sale, expired": (sale(), _technician(valid_from=TODAY - timedelta(days=800),
                                          valid_until=TODAY - timedelta(days=1)), "certificate_expired"),
    "sale, hydrocarbon to category I": (sale("R-290"), _technician(("I",), valid_until=TODAY + timedelta(days=300)),
                                        "category_not_allowed"),
    "sale, company for destruction only": (sale(), _company("destruction", "CO-DESTRUCT"), "activity_not_certified"),
    "sale, company for service": (sale(), _company("service", "CO-SERVICE"), None),
    "sale, buyer certified in another country": (sale(), _foreign_technician, "sale_cross_border"),
    "export to that country instead": ({**EXPORT, "destination_country": "KG"}, None, None),
    "sale, no certificate": (sale(), None, "buyer_certificate_required"),
    "sale, not a certificate number": (sale(), lambda people, app: "KZ-T-0000", "malformed_number"),
    "sale, virgin CFC after the ban": (sale("CFC-12"), _technician(), "virgin_ods_banned"),
    "sale, virgin CFC before the ban": (sale("CFC-12", day=BAN - timedelta(days=1)), _technician(), None),
    "sale, more than in stock": (sale(quantity="500"), _technician(), "insufficient_stock"),
    # other entries
    "import": (IMPORT, None, None),
    "import, no licence": ({**IMPORT, "import_licence": None}, None, "proof_of_origin_missing"),
    "import, unknown country of origin": ({**IMPORT, "origin_country": "QQ"}, None, "unknown_country"),
    "purchase, unknown country": ({"kind": "purchase", "operation_date": TODAY, "substance": "HCFC-22",
                                   "quantity": "5", "condition": "virgin", "counterparty_name": "Market seller",
                                   "counterparty_country": "XX"}, None, "unknown_country"),
    "import, unknown substance": ({**IMPORT, "substance": "R-999"}, None, "unknown_substance"),
    "import, document number too long": ({**IMPORT, "document_numbers": "D" * 300}, None, "too_long"),
    "import, substance name too long": ({**IMPORT, "substance": "R" * 300}, None, "too_long"),
    "import, long unknown substance name": ({**IMPORT, "substance": "R" * 100}, None, "unknown_substance"),
    "export to a registered importer": (EXPORT, _importer, None),
    "export to an unknown registration": (EXPORT, lambda people, app: "NO-SUCH-REG", "unknown_counterparty"),
    # the handler: importing, exporting, selling need a company with that activity (and a company certificate
    # where the country requires one); charging needs a certified technician or a service company
    "import by a company without the importer activity": (IMPORT, _without("importer"), "handler_activity_missing"),
    "export by a company without the exporter activity": (EXPORT, _without("exporter"), "handler_activity_missing"),
    "sale by a company without the dealer activity": (sale(), _then(_without("dealer"), _technician()),
                                                      "handler_activity_missing"),
    "import, company certificate required, none held": (IMPORT, _company_certificate(None),
                                                        "handler_certificate_invalid"),
    "import, company certificate required, revoked": (IMPORT, _company_certificate("revoked"),
                                                      "handler_certificate_invalid"),
    "import, company certificate required and valid": (IMPORT, _company_certificate("valid"), None),
    "charge by a service company": (CHARGE, _dealers_equipment, None),
    "charge by a company without the service activity": (CHARGE, _then(_dealers_equipment, _without("service")),
                                                         "handler_activity_missing"),
    "charge by a certified technician": (CHARGE, _technicians_equipment(certified=True), None),
    "charge by a technician without a certificate": (CHARGE, _technicians_equipment(certified=False),
                                                     "technician_not_certified"),
    "recovery by a certified technician": ({**CHARGE, "kind": "recovery", "condition": "recovered"},
                                           _technicians_equipment(certified=True, stock=False), None),
    "recovery by a technician without a certificate": ({**CHARGE, "kind": "recovery", "condition": "recovered"},
                                                       _technicians_equipment(certified=False, stock=False),
                                                       "technician_not_certified"),
    # the licence register: an import names a licence of the register (where the country requires it)
    # national consumption limits: an import needs the importer's remaining quota (where quotas are allocated)
    "import within the importer's quota": (IMPORT, _quota("5"), None),
    "import beyond the importer's quota": (IMPORT, _quota("4.999"), "quota_exceeded"),
    "import under a registered licence": (IMPORT, _licence(), None),
    "import under any text at all": ({**IMPORT, "import_licence": "ANY-STRING-AT-ALL"}, _licence(),
                                     "licence_unknown"),
    "import under any text, licences not yet required": ({**IMPORT, "import_licence": "ANY-STRING-AT-ALL"},
                                                         _licence(required=False), None),
    "import under a suspended licence": (IMPORT, _licence(status="suspended"), "licence_not_active"),
    "import beyond the licence's cap": (IMPORT, _licence(cap_kg="4.999"), "licence_cap_exceeded"),
    # the caps in the unit the group is controlled in: 5 kg of HCFC-22 (ODP 0.055) are 0.000275 ODP tonnes,
    # 5 kg of R-404A 19.608 CO2-eq tonnes (its Annex F components' GWP by mass: 3921.6 per tonne)
    "import within the licence's cap in ODP tonnes": (IMPORT, _licence(cap_odp_t="0.000275"), None),
    "import beyond the licence's cap in ODP tonnes": (IMPORT, _licence(cap_odp_t="0.000274"),
                                                      "licence_cap_odp_exceeded"),
    "import within the licence's cap in CO2-eq tonnes": ({**IMPORT, "substance": "R-404A"},
                                                         _licence(scope=("F",), cap_co2e_t="19.608"), None),
    "import beyond the licence's cap in CO2-eq tonnes": ({**IMPORT, "substance": "R-404A"},
                                                         _licence(scope=("F",), cap_co2e_t="19.607"),
                                                         "licence_cap_co2e_exceeded"),
    "import from a country the licence does not cover": ({**IMPORT, "origin_country": "IN"}, _licence(),
                                                         "licence_partner_not_covered"),
    "import of a substance the licence does not cover": ({**IMPORT, "substance": "R-404A"}, _licence(),
                                                         "licence_substance_not_covered"),
    "export under a registered export licence": (EXPORT, _licence(direction="export", number="KZ-EXP-1",
                                                                  partner="UZ"), None),
    "export under an import licence": (EXPORT, _licence(number="KZ-EXP-1", partner="UZ"), "licence_wrong_direction"),
    "export under any text at all": ({**EXPORT, "export_licence": "ANY-STRING-AT-ALL"},
                                     _licence(direction="export", number="KZ-EXP-1", partner="UZ"),
                                     "licence_unknown"),
    "export to a country the licence does not cover": ({**EXPORT, "destination_country": "KG"},
                                                       _licence(direction="export", number="KZ-EXP-1",
                                                                partner="UZ"), "licence_partner_not_covered"),
    # backdating: a reason past late_entry_days, refused past approval_days (an officer's approval is needed)
    "import recorded late, no reason": ({**IMPORT, "operation_date": TODAY - timedelta(days=31)}, _late_limits,
                                        "late_entry_reason_required"),
    "import recorded late, with its reason": ({**IMPORT, "operation_date": TODAY - timedelta(days=31),
                                               "reason": "Paper logbook of the Khorgos branch"}, _late_limits, None),
    "import recorded on the last day without a reason": ({**IMPORT, "operation_date": TODAY - timedelta(days=30)},
                                                         _late_limits, None),
    # production and the uses the data forms count apart (certreg.logbook.use_rules)
    "production by a producer": (PRODUCTION, _with("producer"), None),
    "production by a company without the producer activity": (PRODUCTION, None, "handler_activity_missing"),
    "production of recovered gas": ({**PRODUCTION, "condition": "recovered"}, _with("producer"), "invalid_condition"),
    "feedstock use from stock": (FEEDSTOCK, None, None),
    "feedstock use beyond stock": ({**FEEDSTOCK, "quantity": "500"}, None, "insufficient_stock"),
    "feedstock use by a technician": (FEEDSTOCK, _as_technician, "company_required"),
    "QPS use of methyl bromide": (QPS, _methyl_bromide, None),
    "QPS use of another substance": ({**QPS, "substance": "HCFC-22"}, None, "qps_only_methyl_bromide"),
    "laboratory use under its decision": (EXEMPTED, None, None),
    "laboratory use without a decision": ({**EXEMPTED, "exemption_reference": None}, None,
                                          "decision_reference_required"),
    "laboratory use under a licence number, not a decision": ({**EXEMPTED, "exemption_reference": "Lab licence 7"},
                                                              None, "decision_reference_required"),
    "exempted use not stated": ({**EXEMPTED, "exempted_use": None}, None, "required"),
    "exempted use entry for feedstock": ({**EXEMPTED, "exempted_use": "feedstock"}, None, "not_applicable"),
    "critical use of a CFC": ({**EXEMPTED, "exempted_use": "critical_use"}, None, "exemption_not_applicable"),
    "critical use of methyl bromide": ({**EXEMPTED, "substance": "methyl-bromide", "exempted_use": "critical_use",
                                        "exemption_reference": "Decision XXXV/4"}, _methyl_bromide, None),
    "import recorded too late, even with a reason": ({**IMPORT, "operation_date": TODAY - timedelta(days=366),
                                                      "reason": "Found in a drawer"}, _late_limits,
                                                     "late_entry_needs_approval"),
}


@pytest.fixture
def stocked(app, people):
    """A KZ dealer with 100 kg of R-404A, R-290, CFC-12 and HCFC-22 (imported before the CFC ban)."""
    set_annex_ab_ban("KZ", BAN)
    for substance in ("R-404A", "R-290", "CFC-12", "HCFC-22"):
        recording.record_entry(people.dealer_actor, people.dealer,
                               entry_data("import", substance=substance, operation_date=STOCKED_ON))
    db.session.commit()
    return people


def _entry(case, people, app) -> dict:
    values, make, _code = CASES[case]
    values = {k: v for k, v in values.items() if v is not None}
    made = make(people, app) if make is not None else None
    if isinstance(made, dict):
        values.update(made)
    elif made is not None:
        values["counterparty_registration" if values["kind"] == "export" else "buyer_certificate"] = made
    values["operation_date"] = values["operation_date"].isoformat()
    return values


def _entries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry))


@contextmanager
def _rendered_forms(app):
    forms = []

    def keep(sender, template, context, **extra):
        if "form" in context:
            forms.append(context["form"])

    template_rendered.connect(keep, app)
    try:
        yield forms
    finally:
        template_rendered.disconnect(keep, app)


def _form_codes(form) -> set[str]:
    return {getattr(e, "code", None) for f in form for e in f.errors} | \
        {getattr(e, "code", None) for e in form.form_errors}


def _api_codes(error: dict) -> set[str]:
    return {e["code"] for messages in error.get("fields", {}).values() for e in messages} or {error["code"]}


def _user(people, entry):
    return people.kz_tech_user if entry.get("as") == "technician" else people.dealer_user


def _through_the_entry_page(app, client, api, people, entry):
    login(client, _user(people, entry))
    entry = {k: v for k, v in entry.items() if k != "as"}
    with _rendered_forms(app) as forms:
        response = post_form(client, "/logbook/entries/new", entry, page="/logbook/entries/new")
    if response.status_code == 302:
        return None
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    return _form_codes(forms[-1])


def _through_the_point_of_sale(app, client, api, people, entry):
    login(client, people.dealer_user)
    fields = {k: v for k, v in entry.items() if k != "kind"}
    with _rendered_forms(app) as forms:
        response = post_form(client, "/logbook/sale", {**fields, "action": "record"}, page="/logbook/sale")
    if response.status_code == 302:
        return None
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    return _form_codes(forms[-1])


def _through_the_api(app, client, api, people, entry):
    api.token = factories.make_token(_user(people, entry))
    entry = {k: v for k, v in entry.items() if k != "as"}
    body = {k: (Decimal(v) if k == "quantity" else v) for k, v in entry.items()}
    response = api.post("/logbook/entries", json={k: (float(v) if isinstance(v, Decimal) else v)
                                                  for k, v in body.items()})
    if response.status_code == 201:
        return None
    assert response.status_code == 422, response.get_json()
    return _api_codes(response.get_json()["error"])


def _csv(entry) -> str:
    columns = [imports.COLUMN_OF[name] for name in entry]
    cells = ['"' + str(value).replace('"', '""') + '"' for value in entry.values()]
    return ",".join(columns) + "\n" + ",".join(cells) + "\n"


def _through_the_cli_import(app, client, api, people, entry, *, tmp_path):
    if entry.get("as") == "technician":
        entry = {k: v for k, v in entry.items() if k != "as"}
        path = tmp_path / "paper.csv"
        path.write_text(_csv(entry), encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["logbook", "import", str(path), "--country", "KZ",
                                                    "--technician", people.kz_tech_record.national_id])
    else:
        result = run_import(app, tmp_path, people, _csv(entry))
    if result.exit_code == 0:
        return None
    assert result.exit_code == 1, result.output
    return set(re.findall(r"^line 2: .*\[(\w+)\]$", result.output, re.M))


def _through_the_api_import(app, client, api, people, entry):
    api.token = factories.make_token(_user(people, entry))
    entry = {k: v for k, v in entry.items() if k != "as"}
    response = api.post("/logbook/imports", data=_csv(entry).encode(), headers={"Content-Type": "text/csv"})
    if response.status_code == 201:
        return None
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "import_refused"
    return {e["code"] for e in response.get_json()["error"]["fields"]["line 2"]}


SURFACES = {
    "entry page": _through_the_entry_page,
    "point of sale": _through_the_point_of_sale,
    "api": _through_the_api,
    "csv import (cli)": _through_the_cli_import,
    "csv import (api)": _through_the_api_import,
}


@pytest.mark.parametrize("case,surface", [(case, surface) for case in CASES for surface in SURFACES
                                           if surface != "point of sale" or CASES[case][0]["kind"] == "sale"])
def test_every_surface_gives_the_same_verdict(app, client, api, stocked, tmp_path, case, surface):
    entry = _entry(case, stocked, app)
    expected = CASES[case][2]
    through = SURFACES[surface]
    kwargs = {"tmp_path": tmp_path} if surface == "csv import (cli)" else {}
    before = _entries()
    codes = through(app, client, api, stocked, entry, **kwargs)
    assert codes == ({expected} if expected else None), (case, surface)
    assert _entries() == before + (0 if expected else 1)



@pytest.mark.parametrize("surface", ["csv import (cli)", "csv import (api)"])
@pytest.mark.parametrize("caps,code", [({"cap_kg": "9.999"}, "licence_cap_exceeded"),
                                       ({"cap_odp_t": "0.000549"}, "licence_cap_odp_exceeded"),
                                       ({"cap_kg": "10", "cap_odp_t": "0.00055"}, None)])
def test_the_lines_of_one_csv_file_count_together_against_a_licence(app, api, stocked, tmp_path, surface, caps,
                                                                     code):
    """Two lines of 5 kg of HCFC-22 (0.000275 ODP tonnes each) under one licence: each is within the caps
    alone, and together only when the caps allow both."""
    _licence(**caps)(stocked, app)
    line = _csv({**IMPORT, "operation_date": TODAY.isoformat()})
    text = line + line.splitlines()[1] + "\n"
    before = _entries()
    if surface == "csv import (cli)":
        result = run_import(app, tmp_path, stocked, text)
        assert result.exit_code == (0 if code is None else 1), result.output
        refused = re.findall(r"^line (\d+): .*\[(\w+)\]$", result.output, re.M)
    else:
        api.token = factories.make_token(stocked.dealer_user)
        response = api.post("/logbook/imports", data=text.encode(), headers={"Content-Type": "text/csv"})
        assert response.status_code == (201 if code is None else 422), response.get_json()
        refused = [] if code is None else [(name.split()[1], e["code"]) for name, errors
                                           in response.get_json()["error"]["fields"].items() for e in errors]
    assert refused == ([] if code is None else [("3", code)])
    assert _entries() == before + (2 if code is None else 0)
