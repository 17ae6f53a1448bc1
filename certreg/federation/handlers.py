"""The questions every installation answers (:func:`certreg.federation.questions.register_handler`).

``ping``: ``{}`` -> ``{"pong": true}`` (is the peering mutual?).
``certificate-status``: ``{"number": "KG-T-2026-000123-5"}`` -> ``{"found": false}`` or the public facts
and today's status of the certificate (as the public status page shows them).
``cylinder``: ``{"serial": "..."}`` (national serial, GRAI or stamp number) -> ``{"found": false}`` or
the cylinder's public fields and status.
``seizure-alert``: a seizure of goods of one of this installation's countries (:mod:`certreg.federation.alerts`).
``ipic``: ``{"question": "<signed iPIC question>"}`` (:mod:`certreg.shipments.documents`, signed by one of
the peer's countries) -> ``{"answer": "<the signed answer of this installation's register>"}``.

:class:`FederatedIpic` is the other half: it carries this installation's iPIC questions about a
peer's country to that peer (:func:`certreg.shipments.ipic.register_remote`).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.certificates.queries import find_by_number
from certreg.certificates.states import STATE_VERDICTS, state_on, today
from certreg.cylinders import queries as cylinders
from certreg.errors import InvalidState, NotFound, ValidationFailed
from certreg.federation import alerts, questions
from certreg.federation.models import Peer
from certreg.federation.questions import QuestionRefused, register_handler
from certreg.federation.syncing import peer_countries
from certreg.shipments import ipic


def _text(body: Any, name: str, limit: int = 64) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise QuestionRefused(f"bad-{name}")
    return value.strip()


def ping(peer: Peer, body: Any) -> dict:
    return {"pong": True}


def certificate_status(peer: Peer, body: Any) -> dict:
    cert = find_by_number(_text(body, "number"))
    if cert is None:
        return {"found": False}
    state = state_on(cert, today())
    return {"found": True, "number": cert.number, "country": cert.country_code, "status": state.value,
            "verdict": STATE_VERDICTS[state].value, "valid_from": cert.valid_from.isoformat(),
            "valid_until": cert.valid_until.isoformat()}


def cylinder(peer: Peer, body: Any) -> dict:
    try:
        found = cylinders.find(Actor.system(f"federation:{peer.name}"), _text(body, "serial"))
    except NotFound:
        return {"found": False}
    return {"found": True, "serial": found.serial, "country": found.country_code, "kind": found.kind.value,
            "status": found.status.value, "substance": found.substance_code,
            "test_due": found.test_due.isoformat() if found.test_due else None,
            "manufacturer": found.manufacturer}


def ipic_question(peer: Peer, body: Any) -> dict:
    countries = [country for country, owner in peer_countries().items() if owner.id == peer.id]
    try:
        return {"answer": ipic.answer_for_peer(_text(body, "question", limit=4000), f"federation:{peer.name}",
                                               countries)}
    except ValidationFailed as exc:
        raise QuestionRefused(exc.code.replace("_", "-")) from None


class FederatedIpic:
    """iPIC questions about a country an active peer serves go to that peer (:mod:`certreg.shipments.ipic`)."""

    def serves(self, country_code: str) -> bool:
        return country_code in peer_countries()

    def ask(self, actor: Actor, country_code: str, question_text: str) -> str:
        peer = peer_countries()[country_code]
        asked = questions.ask(actor, peer.id, "ipic", {"question": question_text})
        if not asked.answered:
            raise InvalidState(asked.message, code="no_answer")
        answer = asked.answer.get("answer") if isinstance(asked.answer, dict) else None
        if not isinstance(answer, str):
            code = asked.answer.get("error") if isinstance(asked.answer, dict) else None
            raise InvalidState(_("%(peer)s did not answer the iPIC question (%(code)s).", peer=peer.name,
                                 code=code or "?"), code="no_answer")
        return answer


def register() -> None:
    register_handler("ping", ping)
    register_handler("certificate-status", certificate_status)
    register_handler("cylinder", cylinder)
    register_handler("ipic", ipic_question)
    ipic.register_remote("federation", FederatedIpic())
    alerts.register()  # seizure-alert: answered here, and sent when a seizure concerns a peer's country
