"""iPIC inside certreg: the exporting country asks, the importing country's register answers, both signed.

The question is signed with the asking country's key and the answer with the answering country's
(:mod:`certreg.shipments.documents`); the answer is computed from the answering country's licence
register by :func:`answer_question`, which takes nothing but the question's text, so that a peer
installation can be asked the same way. Services flush, never commit. Codes (stable):
``required``, ``invalid_number``, ``invalid_year``, ``unknown_country``, ``same_country``,
``unknown_substance``, ``no_signing_key``, ``bad_question``, ``no_answer``, ``bad_answer``.

**Across installations.** When the importing country is not served here (no signing key of its own in
this installation) but a :class:`Remote` registered by :func:`register_remote` serves it (the federation
does, for the countries of its active peers: :mod:`certreg.federation.handlers`), :func:`ask` sends
the signed question there and checks the signed answer it brings back against the trust list (the
peer's keys, synced); the answering installation answers with :func:`answer_for_peer`, which records
the question and its answer on its side too.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import today, utcnow
from certreg.errors import InvalidState, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.licences import caps
from certreg.licences import services as licences
from certreg.licences.models import Licence, LicenceDirection, LicenceStatus
from certreg.logbook.queries import licence_used
from certreg.registry.models import Company
from certreg.registry.services import get_country
from certreg.shipments import documents
from certreg.shipments.expected import parse_kg
from certreg.shipments.models import IpicAnswer, IpicQuestion
from certreg.substances import services as substances
from certreg.tokens import cose
from certreg.tokens import format as tokens
from certreg.tokens.encoding import TokenError, b32_decode, b64url_encode, cbor, day_date, day_number
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("ipic")


def can_ask(actor: Actor, country_code: str) -> bool:
    """The ozone unit (administrators) of the exporting country."""
    return actor.is_system or actor.in_country(country_code, Role.ADMIN)


def can_read(actor: Actor, question: IpicQuestion) -> bool:
    return actor.is_system or any(actor.in_country(c, Role.ADMIN, Role.AUDITOR, Role.INSPECTOR)
                                  for c in (question.asking_country, question.answering_country))


def _key(country_code: str):
    try:
        return keys.active_key(country_code)
    except NotFound as exc:
        raise ValidationFailed(exc.message, code="no_signing_key") from None


@dataclass(frozen=True)
class Verdict:
    answer: IpicAnswer
    licence: Licence | None = None
    remaining_kg: Decimal | None = None


def licences_of(country_code: str, company_id: int | None = None) -> list[Licence]:
    """The country's licences (through the licence register's own listing)."""
    found = licences.listing(SYSTEM, country_code)
    return [licence for licence in found if company_id is None or licence.company_id == company_id]


def remaining_kg(licence: Licence, substance_code: str) -> Decimal:
    """The kilograms of the substance the importer may still import under the licence: the least of what its
    caps in kg, ODP tonnes and CO2-eq tonnes leave after what was counted against it
    (:func:`certreg.licences.caps.room_kg`). (When a quota service lands, the smaller of this and the
    importer's remaining quota.)"""
    return caps.room_kg(licence, substance_code, caps.usage(licence_used(licence)))


def verdict(country_code: str, registration: str, substance_code: str, kg: Decimal, year: int,
            partner: str) -> Verdict:
    """Is the importer licensed to import ``kg`` of the substance from ``partner`` in ``year``?"""
    company = db.session.scalar(sa.select(Company).where(Company.country_code == country_code,
                                                         Company.registration_number == registration))
    if company is None:
        return Verdict(IpicAnswer.UNKNOWN_IMPORTER)
    info = substances.annexes_of(substance_code)
    groups = info[2] if info else frozenset()
    best: tuple[Decimal, Licence] | None = None
    for licence in licences_of(country_code, company.id):
        if (licence.direction is not LicenceDirection.IMPORT or licence.status is not LicenceStatus.ACTIVE
                or licence.valid_until < date(year, 1, 1) or licence.valid_from > date(year, 12, 31)
                or not licences.covers(licence, substance_code, groups)
                or (licence.partner_countries and partner not in licence.partner_countries)):
            continue
        left = remaining_kg(licence, substance_code)
        if best is None or left > best[0]:
            best = (left, licence)
    if best is None or best[0] < kg:
        return Verdict(IpicAnswer.NO)
    return Verdict(IpicAnswer.YES, best[1], best[0])


def answer_question(question_text: str) -> tuple[documents.Question, str, Verdict]:
    """The answering country's answer to a signed question: ``(question, answer token, verdict)``.

    :raise ValidationFailed: ``bad_question`` (not a valid question signed by the asking country's key).
    """
    try:
        question = tokens.verify(documents.QUESTION, question_text, keys.trust_list())
    except (TokenError, ValueError) as exc:
        raise ValidationFailed(_("This is not a valid iPIC question."), code="bad_question") from exc
    found = verdict(question.answering_country, question.importer, question.substance, Decimal(question.kg),
                    question.year, question.asking_country)
    answer = documents.Answer(
        answering_country=question.answering_country, asking_country=question.asking_country,
        question_digest=documents.digest(b32_decode(question_text)), answer=found.answer.value,
        licence_number=found.licence.number if found.licence else "",
        remaining_kg=f"{found.remaining_kg:f}" if found.remaining_kg is not None else "", answered_at=utcnow())
    return question, tokens.encode(documents.ANSWER, answer, _key(question.answering_country).private_key), found


class Remote(Protocol):
    """Who answers for countries served by another installation."""

    def serves(self, country_code: str) -> bool: ...

    def ask(self, actor: Actor, country_code: str, question_text: str) -> str:
        """The signed answer (text) of the installation serving ``country_code``.

        :raise InvalidState: ``no_answer`` (down, slow, refused), with a message for the user.
        """
        ...


_remotes: dict[str, Remote] = {}


def register_remote(name: str, remote: Remote) -> None:
    """Add (or replace) a way to ask another installation (idempotent per name)."""
    _remotes[name] = remote


def _served_here(country_code: str) -> bool:
    """This installation signs for the country (it has an active key of its own)."""
    return keys.active_key_row(country_code) is not None


def _remote_for(country_code: str) -> Remote | None:
    if _served_here(country_code):
        return None
    return next((remote for remote in _remotes.values() if remote.serves(country_code)), None)


def _remote_answer(actor: Actor, remote: Remote, question: documents.Question,
                   question_text: str) -> tuple[str, IpicAnswer, str | None, Decimal | None]:
    """Ask the other installation; its answer must be signed by the answering country's key (as this
    installation's trust list has it) and bound to this question."""
    answer_text = remote.ask(actor, question.answering_country, question_text)
    try:
        claims = verify_answer(answer_text)
        remaining = Decimal(claims.remaining_kg) if claims.remaining_kg else None
        verdict_ = IpicAnswer(claims.answer)
    except (TokenError, ValueError, InvalidOperation) as exc:
        raise InvalidState(_("The answer from the other installation is not a valid signed iPIC answer."),
                           code="bad_answer") from exc
    if (claims.answering_country != question.answering_country or claims.asking_country != question.asking_country
            or claims.question_digest != documents.digest(b32_decode(question_text))):
        raise InvalidState(_("The answer from the other installation is not the answer to this question."),
                           code="bad_answer")
    return answer_text, verdict_, claims.licence_number or None, remaining


def answer_for_peer(question_text: str, peer_label: str, peer_countries: Iterable[str]) -> str:
    """Answer a question another installation brought (its countries ``peer_countries``): the signed
    answer, recorded here with the question and audited in the answering country.

    :raise ValidationFailed: ``bad_question`` (not a valid question, not asked by one of the peer's
        countries, or not about a country served here).
    """
    question, answer_text, found = answer_question(question_text)
    if question.asking_country not in set(peer_countries) or not _served_here(question.answering_country):
        raise ValidationFailed(_("This is not a valid iPIC question."), code="bad_question")
    row = IpicQuestion(asking_country=question.asking_country, answering_country=question.answering_country,
                       importer_registration=question.importer, substance_code=question.substance,
                       kg=Decimal(question.kg), year=question.year, question_token=question_text,
                       answer=found.answer, licence_number=found.licence.number if found.licence else None,
                       remaining_kg=found.remaining_kg, answer_token=answer_text, asked_by_label=peer_label[:255])
    db.session.add(row)
    db.session.flush()
    summary = audit.msg("iPIC %(asking)s → %(answering)s: %(importer)s, %(kg)s kg of %(substance)s: %(answer)s",
                        asking=question.asking_country, answering=question.answering_country,
                        importer=question.importer, kg=question.kg, substance=question.substance,
                        answer=found.answer.value)
    audit.record(SYSTEM, "ipic.answer", row, country_code=question.answering_country, summary=summary,
                 after={"importer": question.importer, "substance": question.substance, "kg": question.kg,
                        "year": question.year, "answer": found.answer.value, "licence": row.licence_number,
                        "asked_by": peer_label})
    return answer_text


def ask(actor: Actor, asking_country: str, answering_country: str, importer_registration: str, substance: str,
        kg: str | Decimal, year: str | int | None = None) -> IpicQuestion:
    """Ask the importing country's register and record the signed question and answer (audited in both).

    The register of another installation when the importing country is served there (see the module).

    :raise InvalidState: ``no_answer`` / ``bad_answer`` from another installation.
    """
    actor.require(can_ask(actor, asking_country))
    answering = get_country((answering_country or "").strip(), field="answering_country").code
    if answering == asking_country:
        raise ValidationFailed.for_field("answering_country", _("Ask another country."), "same_country")
    registration = (importer_registration or "").strip()
    if not registration or len(registration) > 64:
        raise ValidationFailed.for_field("importer_registration", _("This field is required."), "required")
    code = substances.resolve((substance or "").strip()).code
    quantity = parse_kg(kg).quantize(Decimal("0.001"))
    try:
        year_ = int(year) if year not in (None, "") else today().year
    except (TypeError, ValueError):
        year_ = 0
    if not 1900 <= year_ <= 2200:
        raise ValidationFailed.for_field("year", _("Enter a year."), "invalid_year")
    claims = documents.Question(asking_country=asking_country, answering_country=answering,
                                importer=registration, substance=code, kg=f"{quantity:f}", year=year_,
                                asked_at=utcnow(), nonce=secrets.token_bytes(16))
    question_text = tokens.encode(documents.QUESTION, claims, _key(asking_country).private_key)
    remote = _remote_for(answering)
    if remote is not None:
        answer_text, result, licence_number, left = _remote_answer(actor, remote, claims, question_text)
    else:
        answer_text, found = answer_question(question_text)[1:]
        result, left = found.answer, found.remaining_kg
        licence_number = found.licence.number if found.licence else None
    row = IpicQuestion(asking_country=asking_country, answering_country=answering,
                       importer_registration=registration, substance_code=code, kg=quantity, year=year_,
                       question_token=question_text, answer=result, licence_number=licence_number,
                       remaining_kg=left, answer_token=answer_text, asked_by_label=actor.label)
    db.session.add(row)
    db.session.flush()
    details = {"importer": registration, "substance": code, "kg": f"{quantity:f}", "year": year_,
               "answer": result.value, "licence": row.licence_number}
    summary = audit.msg("iPIC %(asking)s → %(answering)s: %(importer)s, %(kg)s kg of %(substance)s: %(answer)s",
                        asking=asking_country, answering=answering, importer=registration, kg=f"{quantity:f}",
                        substance=code, answer=result.value)
    audit.record(actor, "ipic.ask", row, country_code=asking_country, summary=summary, after=details)
    if remote is None:  # the other installation audits its own answer
        audit.record(SYSTEM, "ipic.answer", row, country_code=answering, summary=summary, after=details)
    logger.info("iPIC %s asked %s about %s: %s", asking_country, answering, registration, result.value)
    return row


def get(actor: Actor, question_id: int) -> IpicQuestion:
    row = db.session.get(IpicQuestion, question_id)
    if row is None or not can_read(actor, row):
        raise NotFound()
    return row


def listing(actor: Actor, country_code: str) -> list[IpicQuestion]:
    """Questions the country asked or answered (its administrators, inspectors, auditors)."""
    actor.require(actor.is_system or actor.in_country(country_code, Role.ADMIN, Role.AUDITOR, Role.INSPECTOR))
    return list(db.session.scalars(sa.select(IpicQuestion).where(sa.or_(
        IpicQuestion.asking_country == country_code, IpicQuestion.answering_country == country_code))
        .order_by(IpicQuestion.id.desc()).limit(200)))


def verify_answer(answer_text: str) -> documents.Answer:
    """The answer's claims, checked against the trust list. :raise TokenError: not a valid answer."""
    return tokens.verify(documents.ANSWER, answer_text, keys.trust_list())


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the border check shows of the iPIC question that confirms an import (not its signed documents)."""

    id: int
    answer: IpicAnswer
    kg: Decimal
    licence_number: str | None


_QUESTIONS = IpicQuestion.__table__
_CONFIRMATION = (sa.select(_QUESTIONS.c.id, _QUESTIONS.c.answer, _QUESTIONS.c.kg, _QUESTIONS.c.licence_number)
                 .where(_QUESTIONS.c.asking_country == sa.bindparam("exporting"),
                        _QUESTIONS.c.answering_country == sa.bindparam("importing"),
                        _QUESTIONS.c.importer_registration == sa.bindparam("registration"),
                        _QUESTIONS.c.substance_code == sa.bindparam("substance"),
                        _QUESTIONS.c.year == sa.bindparam("year"), _QUESTIONS.c.answer == IpicAnswer.YES,
                        _QUESTIONS.c.kg >= sa.bindparam("kg"))
                 .order_by(_QUESTIONS.c.id.desc()).limit(1))


def confirmation(exporting: str, importing: str, registration: str, substance_code: str, kg: Decimal,
                 year: int) -> Confirmation | None:
    """The exporting country's latest iPIC question answered "yes" for this importer, substance, year and at
    least ``kg`` (the border's proof that the exporting side knows the import is licensed); only the columns
    the border shows (the question itself: :func:`get`)."""
    row = db.session.execute(_CONFIRMATION, {"exporting": exporting, "importing": importing,
                                             "registration": registration, "substance": substance_code,
                                             "year": year, "kg": kg}).first()
    return Confirmation(*row) if row is not None else None


def licensees_document(country_code: str) -> dict:
    """The country's licensed importers and exporters, signed (see :mod:`certreg.shipments.documents`)."""
    country = get_country(country_code, field="code").code
    now, day = utcnow(), today()
    rows = []
    for licence in licences_of(country):
        if licence.status is not LicenceStatus.ACTIVE or not licence.valid_from <= day <= licence.valid_until:
            continue
        company = db.session.get(Company, licence.company_id)
        rows.append([company.registration_number, company.name_latin or company.legal_name,
                     licence.direction.value, licence.number, list(licence.scope),
                     day_number(licence.valid_from), day_number(licence.valid_until)])
    payload = {1: documents.FORMAT_VERSION, 2: country, 3: int(now.timestamp()), 4: rows}
    signed = cose.sign1(_key(country).private_key, {cose.HDR_TYP: documents.LICENSEES_TYP}, cbor(payload))
    return {"country": country, "issued_at": now.isoformat(), "document": b64url_encode(signed),
            "licensees": [{"registration": r[0], "name": r[1], "direction": r[2], "licence": r[3], "scope": r[4],
                           "valid_from": day_date(r[5]).isoformat(), "valid_until": day_date(r[6]).isoformat()}
                          for r in rows]}

