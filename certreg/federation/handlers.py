"""The questions every installation answers (:func:`certreg.federation.questions.register_handler`).

``ping``: ``{}`` -> ``{"pong": true}`` (is the peering mutual?).
``certificate-status``: ``{"number": "KG-T-2026-000123-5"}`` -> ``{"found": false}`` or the public facts
and today's status of the certificate (as the public status page shows them).
``cylinder``: ``{"serial": "..."}`` (national serial, GRAI or stamp number) -> ``{"found": false}`` or
the cylinder's public fields and status.
"""

from __future__ import annotations

from typing import Any

from certreg.actors import Actor
from certreg.certificates.queries import find_by_number
from certreg.certificates.states import STATE_VERDICTS, state_on, today
from certreg.cylinders import queries as cylinders
from certreg.errors import NotFound
from certreg.federation.models import Peer
from certreg.federation.questions import QuestionRefused, register_handler


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


def register() -> None:
    register_handler("ping", ping)
    register_handler("certificate-status", certificate_status)
    register_handler("cylinder", cylinder)
