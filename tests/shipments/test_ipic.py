"""iPIC: a signed question from the exporting country, a signed answer from the importing country's register."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from decimal import Decimal

import cbor2
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Forbidden, ValidationFailed
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.licences import services as licences
from certreg.shipments import documents, ipic
from certreg.shipments.models import IpicAnswer
from certreg.tokens import format as tokens
from certreg.tokens.encoding import BadSignature, b32_decode
from certreg.vocabulary import Role
from tests import factories
from tests.shipments.builders import SYSTEM, importer_with_licence


@pytest.fixture
def company():
    return importer_with_licence()[0]


def _jwks_verify(cose: bytes, country: str) -> dict:
    """An independent check: the COSE_Sign1 verifies with the country's key from the JWKS alone."""
    tag = cbor2.loads(cose)
    protected, _, payload, signature = tag.value
    kid = base64.urlsafe_b64encode(cbor2.loads(protected)[4]).rstrip(b"=").decode()
    jwk = next(k for k in keys.jwks_document()["keys"] if k["kid"] == kid)
    assert jwk["country"] == country
    pad = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(pad(jwk["x"]), "big"), int.from_bytes(pad(jwk["y"]), "big"),
                                           ec.SECP256R1()).public_key()
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    public.verify(encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
                  to_be_signed, ec.ECDSA(hashes.SHA256()))
    return cbor2.loads(payload)


def test_yes_names_the_licence_and_what_remains_of_it(company):
    row = ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, "HCFC-22", "60")
    assert (row.answer, row.licence_number, row.remaining_kg) == (IpicAnswer.YES, "KZ-IMP-1", Decimal("100"))
    question = _jwks_verify(b32_decode(row.question_token), "CN")
    answer = _jwks_verify(b32_decode(row.answer_token), "KZ")
    assert (question[2], question[3], question[4], question[5], question[6]) == (
        "CN", "KZ", company.registration_number, "HCFC-22", "60.000")
    assert (answer[5], answer[6], answer[7]) == ("yes", "KZ-IMP-1", "100.000")
    assert answer[4] == documents.digest(b32_decode(row.question_token))  # bound to its question
    claims = ipic.verify_answer(row.answer_token)
    assert claims.answering_country == "KZ" and claims.asking_country == "CN"
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.object_id == str(row.id),
                                                           AuditEntry.action.like("ipic.%"))).all()
    assert {(a.action, a.country_code) for a in audit} == {("ipic.ask", "CN"), ("ipic.answer", "KZ")}


def test_the_remaining_figure_follows_the_cap_in_odp_tonnes(company):
    """The licence's 100 kg cap, and 0.0033 ODP tonnes: 60 kg of HCFC-22 (ODP 0.055) is all that is left."""
    licences.get(SYSTEM, "KZ", "KZ-IMP-1").cap_odp_t = Decimal("0.0033")
    db.session.flush()
    row = ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, "HCFC-22", "60")
    assert (row.answer, row.remaining_kg) == (IpicAnswer.YES, Decimal("60"))
    assert ipic.verify_answer(row.answer_token).remaining_kg == "60.000"
    beyond = ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, "HCFC-22", "60.001")
    assert beyond.answer is IpicAnswer.NO  # within the kg cap, beyond the ODP tonnes


@pytest.mark.parametrize(("asking", "registration", "kg", "answer"), [
    ("CN", None, "100.001", IpicAnswer.NO),  # more than the licence allows
    ("KG", None, "10", IpicAnswer.NO),  # the licence does not cover trade with KG
    ("CN", "NO-SUCH-REG", "10", IpicAnswer.UNKNOWN_IMPORTER),
])
def test_no_and_unknown_importer(company, asking, registration, kg, answer):
    row = ipic.ask(SYSTEM, asking, "KZ", registration or company.registration_number, "HCFC-22", kg)
    assert row.answer is answer and row.licence_number is None and row.remaining_kg is None
    assert ipic.verify_answer(row.answer_token).answer == answer.value


def test_a_question_signed_by_a_key_not_of_the_asking_country_is_refused(company):
    claims = documents.Question("CN", "KZ", company.registration_number, "HCFC-22", "10.000", 2026,
                                datetime.now(UTC), secrets.token_bytes(16))
    forged = tokens.encode(documents.QUESTION, claims, keys.active_key("KG").private_key)
    with pytest.raises(ValidationFailed) as refused:
        ipic.answer_question(forged)
    assert refused.value.code == "bad_question"
    honest = tokens.encode(documents.QUESTION, claims, keys.active_key("CN").private_key)
    assert ipic.answer_question(honest)[2].answer is IpicAnswer.YES


def test_a_tampered_answer_does_not_verify(company):
    row = ipic.ask(SYSTEM, "CN", "KZ", company.registration_number, "HCFC-22", "500")
    assert row.answer is IpicAnswer.NO
    decoded = tokens.decode(documents.ANSWER, row.answer_token)
    claims = dict(cbor2.loads(decoded.payload))
    claims[5] = "yes"
    tag = cbor2.loads(decoded.cose)
    forged = cbor2.dumps(cbor2.CBORTag(18, [tag.value[0], {}, cbor2.dumps(claims), tag.value[3]]))
    with pytest.raises(BadSignature):
        ipic.verify_answer(base64.b32encode(forged).decode().rstrip("="))


def test_only_the_asking_country_ozone_unit_asks(company):
    for role, country in ((Role.ADMIN, "KZ"), (Role.INSPECTOR, "CN"), (Role.COMPANY_USER, "CN")):
        with pytest.raises(Forbidden):
            ipic.ask(Actor.of(factories.make_user(role, country)), "CN", "KZ", company.registration_number,
                     "HCFC-22", "1")
    with pytest.raises(ValidationFailed) as same:
        ipic.ask(SYSTEM, "KZ", "KZ", company.registration_number, "HCFC-22", "1")
    assert same.value.code == "same_country"


def test_the_list_of_licensees_is_a_signed_document(company):
    document = ipic.licensees_document("KZ")
    payload = _jwks_verify(base64.urlsafe_b64decode(document["document"] + "=" * (-len(document["document"]) % 4)),
                           "KZ")
    assert payload[2] == "KZ" and payload[4][0][:4] == [company.registration_number, company.name_latin, "import",
                                                         "KZ-IMP-1"]
    assert document["licensees"][0]["licence"] == "KZ-IMP-1"
    assert cbor2.loads(cbor2.loads(base64.urlsafe_b64decode(
        document["document"] + "=" * (-len(document["document"]) % 4))).value[0])[16] == "certreg-licensees"
