"""Certificate lifecycle, state machine, audit trail, categories and the purchase check (#4's contract)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.certificates import catalogue, checking, lifecycle, numbers, purchase, queries, signing, states, trust
from certreg.certificates.models import Certificate, CertificateEvent, CertificateStatus, EventAction
from certreg.errors import Forbidden, InvalidState, ValidationFailed
from certreg.extensions import db
from certreg.tokens import keys as signing_keys
from certreg.tokens import status_list as statuslists
from certreg.vocabulary import Role
from tests.conftest import count_rows
from tests.factories import SYSTEM, ensure_keys, make_certificate, make_company, make_technician, make_user

TODAY = date.today()


def issue_data(holder, **overrides) -> lifecycle.IssueData:
    data = dict(holder_kind="company" if hasattr(holder, "legal_name") else "technician", holder_id=holder.id,
                categories=["A1"], valid_from=TODAY, valid_until=TODAY + timedelta(days=5 * 365))
    data.update(overrides)
    return lifecycle.IssueData(**data)


@pytest.fixture
def officer():
    ensure_keys()
    return Actor.of(make_user(Role.CERTIFYING_OFFICER, "KG"))


def test_officer_issues_a_signed_certificate_with_history_and_audit(officer):
    technician = make_technician(full_name_latin="Asanov Nurlan Bakytovich")
    cert = lifecycle.issue(officer, issue_data(technician, categories=["a1", "B"]))
    db.session.commit()
    parsed = numbers.parse_number(cert.number)
    assert (parsed.country, parsed.kind, parsed.year) == ("KG", "technician", TODAY.year)
    assert cert.category_codes == ["A1", "B"] and cert.status is CertificateStatus.ACTIVE
    claims = checking.verify_token(cert.token, trust.trust_list())
    assert claims.number == cert.number and claims.holder_name == "Asanov Nurlan Bakytovich"
    assert claims.categories == ("A1", "B") and claims.status_index == cert.status_index
    assert [e.action for e in cert.events] == [EventAction.ISSUED]
    assert cert.events[0].actor_user_id == officer.user_id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "certificate.issue"))
    assert entry.object_id == cert.number and entry.actor_user_id == officer.user_id


def test_numbers_and_status_indexes_are_sequences_per_country(officer):
    first = lifecycle.issue(officer, issue_data(make_technician()))
    second = lifecycle.issue(officer, issue_data(make_technician()))
    company_cert = lifecycle.issue(officer, issue_data(make_company(), categories=["CO-DEALER"]))
    assert numbers.parse_number(second.number).sequence == numbers.parse_number(first.number).sequence + 1
    assert numbers.parse_number(company_cert.number).kind == "company"
    assert {first.status_index + 1, first.status_index + 2} == {second.status_index, company_cert.status_index}
    kz = make_certificate(make_technician(country_code="KZ"))
    assert kz.number.startswith("KZ-T-")


@pytest.mark.parametrize("role,country", [
    (Role.ADMIN, "KG"), (Role.INSPECTOR, "KG"), (Role.AUDITOR, "KG"), (Role.COMPANY_USER, "KG"),
    (Role.TECHNICIAN, "KG"), (Role.CERTIFYING_OFFICER, "KZ"),
])
def test_only_certifying_officers_of_the_country_certify(role, country):
    ensure_keys()
    technician = make_technician()
    cert = make_certificate(make_technician())
    actor = Actor.of(make_user(role, country))
    before = count_rows(Certificate, CertificateEvent)
    for action in (
        lambda: lifecycle.issue(actor, issue_data(technician)),
        lambda: lifecycle.suspend(actor, cert, "reason"),
        lambda: lifecycle.revoke(actor, cert, "reason"),
        lambda: lifecycle.renew(actor, cert, issue_data(cert.technician)),
    ):
        with pytest.raises(Forbidden):
            action()
    db.session.rollback()
    assert count_rows(Certificate, CertificateEvent) == before


@pytest.mark.parametrize("overrides,field,code", [
    (dict(categories=[]), "categories", "required"),
    (dict(categories=["A1", "A1"]), "categories", "duplicate_category"),
    (dict(categories=["ZZ"]), "categories", "unknown_category"),
    (dict(categories=["CO-DEALER"]), "categories", "unknown_category"),  # a company category
    (dict(valid_until=TODAY - timedelta(days=1)), "valid_until", "dates_out_of_order"),
    (dict(valid_until=TODAY + timedelta(days=11 * 366)), "valid_until", "too_long"),
    (dict(categories=["I"], valid_until=date(2029, 3, 13)), "valid_until", "category_ends_earlier"),
    (dict(holder_id=999999), "holder_id", "unknown_holder"),
    (dict(holder_kind="alien"), "holder_kind", "invalid_choice"),
])
def test_bad_issue_input_is_refused_and_nothing_written(officer, overrides, field, code):
    technician = make_technician()
    before = count_rows(Certificate, CertificateEvent)
    with pytest.raises(ValidationFailed) as info:
        lifecycle.issue(officer, issue_data(technician, **overrides))
    db.session.rollback()
    assert field in info.value.fields and info.value.fields[field][0].code == code
    assert count_rows(Certificate, CertificateEvent) == before


def test_a_name_that_cannot_be_signed_is_a_field_error(officer):
    technician = make_technician(full_name_latin="Асанов")  # Cyrillic in the Latin field
    with pytest.raises(ValidationFailed) as info:
        lifecycle.issue(officer, issue_data(technician))
    assert info.value.fields["holder_id"][0].code == "holder_name_not_latin"


def test_legacy_categories_are_issuable_until_their_end(officer):
    cert = lifecycle.issue(officer, issue_data(make_technician(), categories=["I", "IV"],
                                               valid_until=date(2029, 3, 12)))
    assert cert.category_codes == ["I", "IV"]


def test_one_current_certificate_per_holder(officer):
    cert = make_certificate()
    with pytest.raises(InvalidState) as info:
        lifecycle.issue(officer, issue_data(cert.technician))
    assert info.value.code == "holder_has_certificate"
    lifecycle.revoke(officer, cert, "Fraudulent training record")
    again = lifecycle.issue(officer, issue_data(cert.technician))  # after revocation a new one may be issued
    assert again.status is CertificateStatus.ACTIVE


# --- the state machine ------------------------------------------------------------------


def _in_state(officer, state: str) -> Certificate:
    if state == "expired":
        return make_certificate(valid_from=TODAY - timedelta(days=400), valid_until=TODAY - timedelta(days=1))
    if state == "not_yet_valid":
        return make_certificate(valid_from=TODAY + timedelta(days=10), valid_until=TODAY + timedelta(days=400))
    cert = make_certificate()
    if state == "suspended":
        lifecycle.suspend(officer, cert, "Logbook not kept")
    elif state == "lapsed_suspension":
        lifecycle.suspend(officer, cert, "Logbook not kept", until=TODAY)
        cert.suspended_from, cert.suspended_until = TODAY - timedelta(days=10), TODAY - timedelta(days=1)
    elif state == "revoked":
        lifecycle.revoke(officer, cert, "Sold CFC-12 without a licence")
    elif state == "superseded":
        lifecycle.renew(officer, cert, issue_data(cert.technician))
    db.session.flush()
    return cert


STATES = ["valid", "not_yet_valid", "expired", "suspended", "lapsed_suspension", "revoked", "superseded"]
ALLOWED = {
    "suspend": {"valid", "not_yet_valid", "lapsed_suspension"},
    "reinstate": {"suspended"},
    "renew": {"valid", "not_yet_valid", "expired", "lapsed_suspension"},
    "revoke": {"valid", "not_yet_valid", "expired", "suspended", "lapsed_suspension"},
}


@pytest.mark.parametrize("transition", sorted(ALLOWED))
@pytest.mark.parametrize("state", STATES)
def test_only_allowed_transitions_succeed_and_each_is_audited(officer, transition, state):
    cert = _in_state(officer, state)
    number = cert.number
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    action = {
        "suspend": lambda: lifecycle.suspend(officer, cert, "Inspection found leaks", until=TODAY + timedelta(days=30)),
        "reinstate": lambda: lifecycle.reinstate(officer, cert, "Leaks repaired"),
        "renew": lambda: lifecycle.renew(officer, cert, issue_data(cert.technician)),
        "revoke": lambda: lifecycle.revoke(officer, cert, "Forged logbook"),
    }[transition]
    if state in ALLOWED[transition]:
        action()
        db.session.flush()
        actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == number)).all()
        assert f"certificate.{'supersede' if transition == 'renew' else transition}" in actions
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) > audit_before
    else:
        with pytest.raises(InvalidState):
            action()
        db.session.rollback()


def test_suspension_until_a_date_ends_by_itself(officer):
    cert = make_certificate()
    lifecycle.suspend(officer, cert, "Pending investigation", until=TODAY + timedelta(days=7))
    assert states.state_on(cert, TODAY) is states.State.SUSPENDED
    assert states.state_on(cert, TODAY + timedelta(days=7)) is states.State.SUSPENDED
    assert states.state_on(cert, TODAY + timedelta(days=8)) is states.State.VALID
    assert states.status_list_value(cert, TODAY) == statuslists.STATUS_SUSPENDED
    assert states.status_list_value(cert, TODAY + timedelta(days=8)) == statuslists.STATUS_VALID
    with pytest.raises(ValidationFailed):
        lifecycle.suspend(officer, make_certificate(), "x")  # a reason is required
    with pytest.raises(ValidationFailed):
        lifecycle.suspend(officer, make_certificate(), "Because", until=TODAY - timedelta(days=1))


def test_renewal_supersedes_the_old_certificate(officer):
    old = make_certificate(categories=("A2",))
    new = lifecycle.renew(officer, old, issue_data(old.technician, categories=["A1"]), reason="Upgraded to A1")
    db.session.commit()
    assert old.status is CertificateStatus.SUPERSEDED and old.superseded_by_id == new.id
    assert new.replaces_id == old.id and new.category_codes == ["A1"] and new.number != old.number
    assert [e.action for e in old.events] == [EventAction.ISSUED, EventAction.SUPERSEDED]
    assert [e.action for e in new.events] == [EventAction.RENEWED]
    assert queries.current_certificate("technician", old.technician_id).id == new.id


def test_status_list_carries_every_non_valid_certificate(officer):
    valid, revoked, suspended, renewed = (make_certificate() for _ in range(4))
    lifecycle.revoke(officer, revoked, "Revoked for fraud")
    lifecycle.suspend(officer, suspended, "Investigation")
    lifecycle.renew(officer, renewed, issue_data(renewed.technician))
    db.session.commit()
    document = trust.status_list_document()
    assert set(document["status_lists"]) >= {"KG", "KZ", "UZ"}
    status_list = statuslists.verify_status_list_token(document["status_lists"]["KG"], trust.trust_list())
    assert status_list.status(valid.status_index) == statuslists.STATUS_VALID
    assert status_list.status(revoked.status_index) == statuslists.STATUS_INVALID
    assert status_list.status(suspended.status_index) == statuslists.STATUS_SUSPENDED
    assert status_list.status(renewed.status_index) == statuslists.STATUS_SUPERSEDED


def test_retired_key_stays_published_while_its_certificates_are_valid():
    from certreg.keys import services as keys

    cert = make_certificate(valid_until=TODAY + timedelta(days=100))
    old_kid = cert.kid
    keys.rotate(SYSTEM, "KG")
    db.session.flush()
    retired = next(k for k in keys.list_keys("KG") if k.kid == old_kid)
    assert retired.publish_until.date() == TODAY + timedelta(days=102)
    assert old_kid in {k["kid"] for k in keys.jwks_document()["keys"]}
    assert old_kid not in {k["kid"] for k in keys.jwks_document(now=retired.publish_until)["keys"]}


# --- purchase check ------------------------------------------------------------------------


def test_purchase_check_allows_a_valid_certificate_typed_loosely():
    cert = make_certificate(categories=("A1",))
    typed = cert.number.lower().replace("-", " ")
    result = purchase.check_purchase(typed, "R-404A", TODAY)
    assert (result.allowed, result.code, result.certificate.id) == (True, "ok", cert.id)
    assert (result.holder_kind, result.holder_id) == ("technician", cert.technician_id)
    assert cert.number in result.message


def test_purchase_check_accepts_the_scanned_qr_url_and_rejects_forgeries():
    cert = make_certificate(categories=("A1",))
    url = f"https://certreg.example.org/v/{cert.token}"
    assert purchase.check_purchase(url, "R-290", TODAY).code == "ok"
    assert purchase.check_purchase(cert.token.lower(), "R-290", TODAY).code == "ok"
    forged = cert.token[:40] + ("A" if cert.token[40] != "A" else "B") + cert.token[41:]
    assert purchase.check_purchase(f"https://x/v/{forged}", "R-290", TODAY).code in ("unknown_certificate",
                                                                                  "malformed_number")
    stranger = signing.encode_token(checking.decode_token(cert.token).claims, signing_keys.generate_key())
    result = purchase.check_purchase(stranger, "R-290", TODAY)
    assert (result.allowed, result.code, result.certificate) == (False, "unknown_certificate", None)


def test_purchase_check_refusals(officer):
    a1 = make_certificate(categories=("A1",))
    wrong_digit = a1.number[:-1] + str((int(a1.number[-1]) + 1) % 10)
    assert purchase.check_purchase(wrong_digit, "R-404A", TODAY).code == "malformed_number"
    assert purchase.check_purchase("hello", "R-404A", TODAY).code == "malformed_number"
    assert purchase.check_purchase(numbers.format_number("KG", "T", 2020, 999999), "R-404A", TODAY).code \
        == "unknown_certificate"
    leak_only = make_certificate(categories=("D",))
    assert purchase.check_purchase(leak_only.number, "R-404A", TODAY).code == "activity_not_certified"
    a2 = make_certificate(categories=("A2",))
    assert purchase.check_purchase(a2.number, "R-717", TODAY).code == "category_not_allowed"
    assert purchase.check_purchase(a2.number, "R-600a", TODAY).code == "ok"
    legacy = make_certificate(categories=("I",), valid_until=date(2029, 3, 12))
    assert purchase.check_purchase(legacy.number, "R-290", TODAY).code == "category_not_allowed"
    assert purchase.check_purchase(legacy.number, "HCFC-22", TODAY).code == "ok"
    assert purchase.check_purchase(legacy.number, "HCFC-22", date(2029, 3, 13)).code != "ok"
    assert purchase.check_purchase(a1.number, "halon-1301", TODAY).code == "category_not_allowed"

    suspended = make_certificate()
    lifecycle.suspend(officer, suspended, "Investigation", until=TODAY + timedelta(days=3))
    assert purchase.check_purchase(suspended.number, "R-404A", TODAY).code == "certificate_suspended"
    assert purchase.check_purchase(suspended.number, "R-404A", TODAY + timedelta(days=4)).code == "ok"
    revoked = make_certificate()
    lifecycle.revoke(officer, revoked, "Fraud")
    assert purchase.check_purchase(revoked.number, "R-404A", TODAY).code == "certificate_revoked"
    assert purchase.check_purchase(revoked.number, "R-404A", TODAY - timedelta(days=1)).code == "ok"
    expired = make_certificate(valid_from=TODAY - timedelta(days=400), valid_until=TODAY - timedelta(days=1))
    assert purchase.check_purchase(expired.number, "R-404A", TODAY).code == "certificate_expired"
    future = make_certificate(valid_from=TODAY + timedelta(days=1), valid_until=TODAY + timedelta(days=100))
    assert purchase.check_purchase(future.number, "R-404A", TODAY).code == "certificate_not_yet_valid"
    old = make_certificate()
    lifecycle.renew(officer, old, issue_data(old.technician))
    assert purchase.check_purchase(old.number, "R-404A", TODAY).code == "certificate_superseded"
    with pytest.raises(ValidationFailed) as info:
        purchase.check_purchase(a1.number, "unobtainium", TODAY)
    assert info.value.fields["substance_code"][0].code == "unknown_substance"


def test_company_buyers_need_a_company_certificate_with_a_buying_activity():
    dealer = make_certificate(make_company(activities=["dealer"]), categories=("CO-DEALER",))
    result = purchase.check_purchase(dealer.number, "R-410A", TODAY)
    assert (result.code, result.holder_kind, result.holder_id) == ("ok", "company", dealer.company_id)
    destruction = make_certificate(make_company(activities=["destruction"]), categories=("CO-DESTRUCT",))
    assert purchase.check_purchase(destruction.number, "R-410A", TODAY).code == "activity_not_certified"
    halon = make_certificate(make_company(), categories=("CO-HALON",))
    assert purchase.check_purchase(halon.number, "halon-1211", TODAY).code == "ok"
    assert purchase.check_purchase(halon.number, "R-404A", TODAY).code == "category_not_allowed"


def test_national_scope_by_administrators(officer):
    admin = Actor.of(make_user(Role.ADMIN, "KG"))
    data = catalogue.CategoryData(country_code="KG", code="kg-ods", name_en="ODS recovery",
                              name_ru="Извлечение ОРВ", activities=["recover", "purchase"], substances=["cfc", "hcfc"])
    scope = catalogue.create_national_scope(admin, data)
    assert scope.code == "KG-ODS" and scope.country_code == "KG"
    with pytest.raises(ValidationFailed):
        catalogue.create_national_scope(admin, data)  # duplicate
    with pytest.raises(Forbidden):
        catalogue.create_national_scope(Actor.of(make_user(Role.ADMIN, "KZ")), catalogue.CategoryData(
            country_code="KG", code="KG-MAC", name_en="MAC", name_ru="МАК", activities=["install"],
            substances=["fluorinated"]))
    with pytest.raises(ValidationFailed) as info:
        catalogue.create_national_scope(Actor.of(make_user(Role.ADMIN, "KZ")), catalogue.CategoryData(
            country_code="KZ", code="KG-MAC", name_en="MAC", name_ru="МАК", activities=["install"],
            substances=["fluorinated"]))
    assert info.value.fields["code"][0].code == "invalid_code"
    cert = make_certificate(categories=("KG-ODS",))
    assert purchase.check_purchase(cert.number, "R-502", TODAY).code == "ok"  # CFC + HCFC blend
    assert purchase.check_purchase(cert.number, "R-404A", TODAY).code == "category_not_allowed"
    kz_tech = make_technician(country_code="KZ")
    with pytest.raises(ValidationFailed):
        make_certificate(kz_tech, categories=("KG-ODS",))  # another country's scope


def test_expiring_report_lists_what_ends_within_n_days(app):
    soon = make_certificate(valid_until=TODAY + timedelta(days=10))
    make_certificate(valid_until=TODAY + timedelta(days=200))
    assert [c.number for c in queries.expiring(30, "KG")] == [soon.number]
    result = app.test_cli_runner().invoke(args=["certificates", "expire-report", "--days", "30"])
    assert result.exit_code == 0 and soon.number in result.output
