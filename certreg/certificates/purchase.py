"""The purchase check: may the holder of this certificate buy this substance on this day?

The contract with the logbook (issue #4): the point of sale asks here, with what the dealer
typed or scanned, and records the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.certificates import categories as catdata
from certreg.certificates import numbers, trust
from certreg.certificates.checking import verify_token
from certreg.certificates.models import Certificate
from certreg.certificates.states import State, state_on
from certreg.certificates.token import token_from_scan
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.tokens.encoding import MalformedToken, TokenError


@dataclass(frozen=True)
class PurchaseCheck:
    allowed: bool
    code: str  # "ok" | "malformed_number" | "unknown_certificate" | "certificate_suspended" |
    #            "certificate_revoked" | "certificate_expired" | "certificate_superseded" |
    #            "certificate_not_yet_valid" | "category_not_allowed" | "activity_not_certified"
    message: str  # translated, shown at the dealer's counter
    certificate: Certificate | None
    holder_kind: str | None  # "technician" | "company"
    holder_id: int | None  # technicians.id or companies.id


_STATE_CODES = {
    State.REVOKED: "certificate_revoked",
    State.SUPERSEDED: "certificate_superseded",
    State.SUSPENDED: "certificate_suspended",
    State.NOT_YET_VALID: "certificate_not_yet_valid",
    State.EXPIRED: "certificate_expired",
}


def _state_message(state: State, cert: Certificate) -> str:
    return {
        State.REVOKED: _("Certificate %(number)s is revoked. Do not sell.", number=cert.number),
        State.SUPERSEDED: _("Certificate %(number)s was replaced by a newer certificate. Ask for the new one.",
                            number=cert.number),
        State.SUSPENDED: _("Certificate %(number)s is suspended. Do not sell.", number=cert.number),
        State.NOT_YET_VALID: _("Certificate %(number)s is not valid yet on this date.", number=cert.number),
        State.EXPIRED: _("Certificate %(number)s has expired. Do not sell.", number=cert.number),
    }[state]


def check_purchase(certificate_text: str, substance_code: str, on_date: date) -> PurchaseCheck:
    """May the holder of this certificate buy this substance on ``on_date``?

    ``certificate_text`` is what the dealer typed (a certificate number, any case and
    spacing; a wrong check digit is ``malformed_number``) or scanned (a ``…/v/TOKEN`` URL
    or the bare token, whose signature is verified against the trust list: a forged or
    unknown-key token is ``unknown_certificate``). The certificate must be valid that day
    (status and dates; a suspension counts while it runs) and one of its categories must
    allow *purchase* (else ``activity_not_certified``) of the substance's class (else
    ``category_not_allowed``). Technicians buy on a technician certificate, companies on a
    company certificate with a buying activity. Reads only; never writes.

    :raise ValidationFailed: ``substance_code`` is not in the substance catalogue
        (``unknown_substance``) — the caller's input, not the buyer's fault.
    """
    # One piece on purpose: the refusals read top to bottom in the order a dealer meets them.
    try:
        classification = catdata.classify_code(substance_code or "")
    except KeyError:
        raise ValidationFailed.for_field("substance_code", _("Unknown substance."), "unknown_substance") from None

    text = certificate_text if isinstance(certificate_text, str) else ""
    token = token_from_scan(text)
    if token is not None:
        try:
            claims = verify_token(token.upper(), trust.trust_list())
        except MalformedToken:
            return PurchaseCheck(False, "malformed_number",
                                 _("This QR code is not a certificate. Type the certificate number instead."),
                                 None, None, None)
        except TokenError:
            return PurchaseCheck(False, "unknown_certificate",
                                 _("This QR code is not a genuine certificate (the signature does not verify)."),
                                 None, None, None)
        number = claims.number
    else:
        try:
            number = numbers.parse_number(text).canonical
        except ValueError:
            return PurchaseCheck(False, "malformed_number",
                                 _("This is not a valid certificate number: check it against the certificate "
                                   "(format CC-T-YYYY-NNNNNN-D)."), None, None, None)
    cert = db.session.scalar(sa.select(Certificate).where(Certificate.number == number))
    if cert is None:
        return PurchaseCheck(False, "unknown_certificate",
                             _("No certificate with the number %(number)s exists.", number=number), None, None, None)
    if token is not None and token.upper() != cert.token:
        return PurchaseCheck(False, "unknown_certificate",
                             _("This QR code does not match the certificate on record."), None, None, None)
    kind, holder_id = cert.holder_kind.value, cert.holder_id
    state = state_on(cert, on_date)
    if state is not State.VALID:
        return PurchaseCheck(False, _STATE_CODES[state], _state_message(state, cert), cert, kind, holder_id)
    counting = [c for c in cert.categories if c.valid_until is None or on_date <= c.valid_until]
    buying = [c for c in counting if catdata.WorkActivity.PURCHASE.value in c.activities]
    if not buying:
        return PurchaseCheck(False, "activity_not_certified",
                             _("Certificate %(number)s does not allow buying refrigerant (its categories: "
                               "%(categories)s).", number=cert.number, categories=", ".join(cert.category_codes)),
                             cert, kind, holder_id)
    if not any(catdata.covers(c.substances, classification) for c in buying):
        return PurchaseCheck(False, "category_not_allowed",
                             _("Certificate %(number)s does not cover %(substance)s (its categories: "
                               "%(categories)s).", number=cert.number, substance=substance_code,
                               categories=", ".join(cert.category_codes)),
                             cert, kind, holder_id)
    return PurchaseCheck(True, "ok", _("Certificate %(number)s is valid for buying %(substance)s.",
                                       number=cert.number, substance=substance_code), cert, kind, holder_id)
