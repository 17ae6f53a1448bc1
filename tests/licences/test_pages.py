"""Licence pages (issue, change the terms, suspend/revoke, the holder's view) and the API of the document and
check, the same services on every surface."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.licences import services
from certreg.licences.models import Licence, LicenceStatus
from certreg.logbook import drafts, holders, recording
from certreg.vocabulary import HolderKind, Role
from tests import factories
from tests.conftest import login, post_form

TODAY = date.today()


def _form(company, **changes) -> dict:
    values = {"number": "KZ-IMP-2026-0101", "company_registration": company.registration_number,
              "direction": "import", "scope": "HCFC-22, R-404A", "hs_codes": "2903.71", "cap_kg": "1 200,5",
              "valid_from": TODAY.isoformat(), "valid_until": (TODAY + timedelta(days=200)).isoformat(),
              "partner_countries": "cn, in", "issuing_authority": "Ministry of Ecology"}
    values.update(changes)
    return values


def test_an_officer_issues_changes_and_revokes_a_licence_on_the_pages(client):
    factories.ensure_keys("KZ")
    company = factories.make_company(country_code="KZ", activities=["importer"], name_latin="Kholod Trade LLP")
    login(client, factories.make_user(Role.CERTIFYING_OFFICER, "KZ"))
    refused = post_form(client, "/licences/new", _form(company, cap_kg="1 200,5", scope=""))
    assert refused.status_code == 422 and db.session.scalar(sa.select(sa.func.count(Licence.id))) == 0
    issued = post_form(client, "/licences/new", _form(company, cap_kg="1200,5"))
    assert issued.status_code == 302
    licence = db.session.scalar(sa.select(Licence).where(Licence.number == "KZ-IMP-2026-0101"))
    assert licence.scope == ["HCFC-22", "R-404A"] and licence.partner_countries == ["CN", "IN"]
    assert str(licence.cap_kg) == "1200.500"
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert "Kholod Trade LLP" in page and "2903.71" in page and "Print the licence (PDF)" in page
    taken = post_form(client, "/licences/new", _form(company, cap_kg="5"))
    assert taken.status_code == 422 and "A licence with this number exists." in taken.get_data(as_text=True)

    assert client.get(f"/licences/{licence.id}/document.pdf").status_code == 200
    db.session.refresh(licence)
    old_token = licence.token
    edit = f"/licences/{licence.id}/edit"
    assert post_form(client, edit, _form(company, cap_kg="600", reason="")).status_code == 422
    changed = post_form(client, edit, _form(company, cap_kg="600", reason="Quota cut"))
    assert changed.status_code == 302
    db.session.refresh(licence)
    assert str(licence.cap_kg) == "600.000" and licence.token is None
    assert 'data-verdict="SUPERSEDED"' in client.get(f"/l/{old_token}").get_data(as_text=True)

    status = f"/licences/{licence.id}/status"
    assert post_form(client, status, {"status": "suspended", "reason": ""}, page=f"/licences/{licence.id}") \
        .status_code == 422
    done = post_form(client, status, {"status": "revoked", "reason": "False declarations"},
                     page=f"/licences/{licence.id}")
    assert done.status_code == 302
    db.session.refresh(licence)
    assert licence.status is LicenceStatus.REVOKED and licence.status_reason == "False declarations"
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert "Change the status" not in page  # revocation is final


def test_the_holder_sees_and_prints_its_own_licences_only(client):
    factories.ensure_keys("KG")
    own = factories.make_company(country_code="KG", activities=["importer"])
    other = factories.make_company(country_code="KG", activities=["importer"])
    from certreg.actors import Actor
    from certreg.licences import services

    def issue(company, number):
        return services.issue(Actor.system("tests"), "KG", services.LicenceData(
            number=number, company_registration=company.registration_number, direction="import",
            scope=["HCFC-22"], cap_kg="10", valid_from=TODAY, valid_until=TODAY, issuing_authority="Ministry"))

    mine, theirs = issue(own, "KG-1"), issue(other, "KG-2")
    db.session.commit()
    login(client, factories.make_user(Role.COMPANY_USER, "KG", company=own))
    listing = client.get("/licences").get_data(as_text=True)
    assert "KG-1" in listing and "KG-2" not in listing and "Issue a licence" not in listing
    assert client.get(f"/licences/{mine.id}/document.pdf").status_code == 200
    assert client.get(f"/licences/{theirs.id}").status_code == 404
    assert client.get(f"/licences/{mine.id}/edit").status_code == 403


def test_the_api_gives_the_token_the_document_and_the_check(api):
    factories.ensure_keys("KZ")
    company = factories.make_company(country_code="KZ", activities=["importer"], name_latin="Kholod Trade LLP")
    api.token = factories.make_token(factories.make_user(Role.ADMIN, "KZ"))
    body = {"number": "KZ-IMP-7", "company_registration": company.registration_number, "direction": "import",
            "scope": ["HCFC-22"], "cap_kg": "250", "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=90)).isoformat(), "issuing_authority": "Ministry",
            "hs_codes": ["2903.71"], "partner_countries": ["CN"]}
    assert api.post("/countries/KZ/licences", json=body).status_code == 201
    token = api.get("/countries/KZ/licences/KZ-IMP-7/token")
    assert token.status_code == 200 and token.get_json()["url"].endswith("/l/" + token.get_json()["token"])
    pdf = api.get("/countries/KZ/licences/KZ-IMP-7/document.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    check = api.get("/licences/check/" + token.get_json()["token"], token=None)
    assert check.get_json()["verdict"] == "VALID"
    assert check.get_json()["licence"]["cap_kg"] == "250" and check.get_json()["register"]["hs_codes"] == ["2903.71"]
    signed = check.get_json()["licence"]
    assert (signed["format_version"], signed["holder_name"], signed["hs_codes"]) == (2, "Kholod Trade LLP",
                                                                                      ["2903.71"])
    scanned = api.get("/licences/check/" + token.get_json()["token"].lower(), token=None)
    assert scanned.get_json()["verdict"] == "VALID"  # scanners that lower-case URLs
    changed = api.open("PUT", "/countries/KZ/licences/KZ-IMP-7", json={**body, "cap_kg": "100", "reason": "Cut"})
    assert changed.status_code == 200 and Decimal(changed.get_json()["cap_kg"]) == 100
    assert api.get("/licences/check/" + token.get_json()["token"], token=None).get_json()["verdict"] == "SUPERSEDED"
    other = factories.make_company(country_code="KZ", activities=["importer"])
    moved = api.open("PUT", "/countries/KZ/licences/KZ-IMP-7",
                     json={**body, "company_registration": other.registration_number, "reason": "Sold"})
    assert moved.status_code == 422 and moved.get_json()["error"]["code"] == "licence_holder_fixed"
    no_reason = api.open("PUT", "/countries/KZ/licences/KZ-IMP-7", json={**body, "cap_kg": "90"})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["code"] == "reason_required"
    lists = api.get("/licences/status-list", token=None).get_json()["status_lists"]
    assert "KZ" in lists


def test_the_cli_prints_the_document(app, tmp_path):
    factories.ensure_keys("KZ")
    company = factories.make_company(country_code="KZ", activities=["importer"])
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["licences", "issue", "--country", "KZ", "--number", "KZ-CLI-1", "--company",
                                 company.registration_number, "--direction", "import", "--scope", "HCFC-22",
                                 "--cap-kg", "50", "--valid-from", TODAY.isoformat(), "--valid-until",
                                 TODAY.isoformat(), "--authority", "Ministry"])
    assert issued.exit_code == 0, issued.output
    out = tmp_path / "licence.pdf"
    printed = runner.invoke(args=["licences", "document", "KZ-CLI-1", "--country", "kz", "--out", str(out)])
    assert printed.exit_code == 0, printed.output
    assert printed.output.startswith("https://certreg.example.org/l/") and out.read_bytes().startswith(b"%PDF")
    missing = runner.invoke(args=["licences", "document", "NOPE", "--country", "KZ", "--out", str(out)])
    assert missing.exit_code != 0 and "No licence with this number." in missing.output


def test_the_licence_page_and_api_show_what_was_used_in_each_capped_unit(client, api):
    system = Actor.system("tests")
    company = factories.make_company(country_code="KZ", activities=["importer"])
    licence = services.issue(system, "KZ", services.LicenceData(
        number="KZ-IMP-USED", company_registration=company.registration_number, direction="import",
        scope=["HCFC-22", "F"], cap_kg="500", cap_odp_t="0.01", valid_from=TODAY - timedelta(days=1),
        valid_until=TODAY + timedelta(days=30), issuing_authority="Ministry"))
    recording.record_entry(system, holders.holder(HolderKind.COMPANY, company.id), drafts.EntryData(
        kind="import", operation_date=TODAY, substance="HCFC-22", quantity=Decimal("60"), origin_country="CN",
        import_licence="KZ-IMP-USED", customs_declaration="D-USED", exporter_name="Exporter"))
    db.session.commit()
    officer = factories.make_user(Role.CERTIFYING_OFFICER, "KZ")
    login(client, officer)
    page = client.get(f"/licences/{licence.id}").get_data(as_text=True)
    assert "60 kg · 0.0033 ODP tonnes" in page and "CO2-eq" not in page.split('class="licence-used"')[1][:80]
    api.token = factories.make_token(officer)
    listed = {row["number"]: row for row in api.get("/countries/KZ/licences").get_json()["licences"]}
    assert (listed["KZ-IMP-USED"]["used_kg"], listed["KZ-IMP-USED"]["used_odp_t"],
            listed["KZ-IMP-USED"]["used_co2e_t"]) == ("60.000", "0.0033", None)
