"""The licence document: its signed token (the QR), the signed licence status lists, and the PDF.

The token is specified in :mod:`certreg.licences.token`; the keys, trust list and status list
format are :mod:`certreg.tokens`, shared with certificates and cylinder labels. A licence is signed
when its document is first asked for (and again after its terms change, see
:func:`certreg.licences.services.update`); the token is kept, so every print carries the same QR.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.certificates import outputs, qr
from certreg.certificates.trust import cached, trust_list
from certreg.db import utcnow
from certreg.errors import InvalidState, NotFound
from certreg.extensions import db
from certreg.keys import services as keys
from certreg.keys.models import KeyStatus, SigningKey
from certreg.licences import services
from certreg.licences.models import DIRECTION_LABELS, Licence, LicenceStatus
from certreg.licences.token import (
    LICENCE_STATUS_LIST_TYP,
    LICENCE_TOKEN,
    STATUS_EXPIRED,
    STATUS_REVOKED,
    STATUS_SUSPENDED,
    LicenceClaims,
    holder_name_for,
    hs_digits,
)
from certreg.registry.models import Company
from certreg.tokens import format as tokens
from certreg.tokens import peers
from certreg.tokens import status_list as statuslist
from certreg.tokens.encoding import MalformedToken

#: The licence status list value of each status that is not "valid".
LIST_VALUES = {LicenceStatus.REVOKED: STATUS_REVOKED, LicenceStatus.SUSPENDED: STATUS_SUSPENDED,
               LicenceStatus.EXPIRED: STATUS_EXPIRED}


def claims_for(licence: Licence) -> LicenceClaims:
    """What the licence's token signs: its terms, the holder's name (Latin script) and its HS codes."""
    company = db.session.get(Company, licence.company_id)
    hs_codes = tuple(dict.fromkeys(d for d in (hs_digits(code) for code in licence.hs_codes) if d))
    return LicenceClaims(
        number=licence.number, country=licence.country_code,
        holder_registration=company.registration_number, direction=licence.direction.value,
        scope=tuple(licence.scope), cap_grams=int(licence.cap_kg * 1000),
        partner_countries=tuple(licence.partner_countries), valid_from=licence.valid_from,
        valid_until=licence.valid_until, status_index=licence.id,
        holder_name=holder_name_for(company.name_latin or company.legal_name), hs_codes=hs_codes)


def token_for(actor: Actor, licence: Licence) -> str:
    """The licence's signed token, signed now if it has none (flushes).

    :raise Forbidden: not the country's officials nor the holder. :raise InvalidState: ``no_signing_key``.
    """
    actor.require(services.can_view(actor, licence))
    if licence.token is None:
        try:
            key = keys.active_key(licence.country_code)
        except NotFound as exc:
            raise InvalidState(exc.message, code=exc.code) from None
        licence.token = tokens.encode(LICENCE_TOKEN, claims_for(licence), key.private_key)
        licence.kid = key.kid
        db.session.flush()
    return licence.token


def check_prefix() -> str:
    return current_app.config["PUBLIC_BASE_URL"] + "/l/"


def check_url(token: str) -> str:
    return check_prefix() + token


def qr_code(token: str):
    return qr.qr_for_url(check_prefix(), token)


def last_valid_day(kid: str) -> date | None:
    """The last day a licence signed by key ``kid`` is valid: how long a retired key stays published."""
    return db.session.scalar(sa.select(sa.func.max(Licence.valid_until)).where(Licence.kid == kid))


def _build_status_lists() -> dict[str, str]:
    now = utcnow()
    countries = db.session.scalars(
        sa.select(SigningKey.country_code).where(SigningKey.status == KeyStatus.ACTIVE)).all()
    sizes = dict(db.session.execute(
        sa.select(Licence.country_code, sa.func.max(Licence.id) + 1).group_by(Licence.country_code)).all())
    flagged: dict[str, dict[int, int]] = {c: {} for c in countries}
    rows = db.session.execute(sa.select(Licence.country_code, Licence.id, Licence.status)
                              .where(Licence.status != LicenceStatus.ACTIVE))
    for country, index, status in rows:
        if country in flagged:
            flagged[country][index] = LIST_VALUES[status]
    result = {}
    for country in countries:
        key = keys.active_key(country)
        lst = statuslist.build_status_list(flagged[country], sizes.get(country) or 0)
        result[country] = statuslist.encode_status_list_token(
            country, lst, key.private_key, issued_at=now, ttl=current_app.config["STATUS_LIST_TTL_SECONDS"],
            typ=LICENCE_STATUS_LIST_TYP)
    return result


#: The kind of status list licences publish (:mod:`certreg.tokens.peers`, the federation's documents).
STATUS_KIND = "licences"


def own_status_list_document() -> dict:
    """``{"status_lists": {CC: token}}``: the signed licence status list of every country with a key."""
    return cached("licence-status", "STATUS_LIST_CACHE_SECONDS",
                  lambda: statuslist.status_list_document(_build_status_lists()))


def peer_status_list(country: str) -> statuslist.StatusList | None:
    """The verified licence status list of a federation peer's ``country`` (its last synced copy), if any."""
    own = own_status_list_document()
    entry = peers.peer_status_lists(STATUS_KIND, set(own["status_lists"])).get(country)
    if entry is None:
        return None
    try:
        return statuslist.verify_status_list_token(entry.token, trust_list(), typ=LICENCE_STATUS_LIST_TYP)
    except (ValueError, MalformedToken):
        return None


def status_list_document() -> dict:
    """What this installation's verifiers use: its own licence status lists, then its federation
    peers' (with ``origins``, :func:`certreg.tokens.peers.merge_status_document`)."""
    own = own_status_list_document()
    return peers.merge_status_document(own, STATUS_KIND, set(own["status_lists"]))


def _kg(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def document_lines(licence: Licence) -> list[tuple[str, str]]:
    """The terms as printed: (label, value), in the reader's language."""
    company = db.session.get(Company, licence.company_id)
    holder = company.legal_name if company.legal_name == company.name_latin else \
        f"{company.legal_name} ({company.name_latin})"
    cap = _("%(kg)s kg", kg=_kg(licence.cap_kg))
    if licence.cap_odp_t is not None:
        cap += " · " + _("%(tonnes)s ODP tonnes", tonnes=_kg(licence.cap_odp_t))
    if licence.cap_co2e_t is not None:
        cap += " · " + _("%(tonnes)s CO2-eq tonnes", tonnes=_kg(licence.cap_co2e_t))
    return [
        (_("Licence holder"), holder),
        (_("Registration number"), company.registration_number),
        (_("Direction"), str(DIRECTION_LABELS[licence.direction])),
        (_("Substances or control groups"), ", ".join(licence.scope)),
        (_("HS codes"), ", ".join(licence.hs_codes) or _("any")),
        (_("Cap"), cap),
        (_("Valid"), _("from %(start)s to %(end)s", start=format_date(licence.valid_from, "long"),
                       end=format_date(licence.valid_until, "long"))),
        (_("Partner countries"), ", ".join(licence.partner_countries) or _("any")),
        (_("Issuing authority"), licence.issuing_authority),
    ]


def licence_pdf(actor: Actor, licence: Licence) -> bytes:
    """The A4 licence document with its signed QR (60 mm), in the reader's language (CJK included)."""
    token = token_for(actor, licence)
    pdf = outputs.new_pdf("P", "A4")
    pdf.set_title(licence.number)
    pdf.set_margins(20, 20, 20)
    pdf.set_xy(20, 20)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(170, 6, licence.issuing_authority, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 20)
    title = _("Import licence") if licence.direction.value == "import" else _("Export licence")
    pdf.multi_cell(170, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(170, 5, _("for controlled substances under the Montreal Protocol (Article 4B)"), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(170, 8, licence.number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in document_lines(licence):
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(170, 5.5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(170, 5.5, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    if licence.status is not LicenceStatus.ACTIVE:
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(170, 6, _("Status: %(status)s", status=licence.status.value.upper()),
                       new_x="LMARGIN", new_y="NEXT")
    png = io.BytesIO(qr.render_png(qr_code(token), box_size=8))
    pdf.image(png, x=75, y=200, w=60, h=60)
    pdf.set_xy(20, 263)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(170, 4.5, _("Scan the QR code with any phone camera to check that this licence is genuine and "
                               "in force; it works offline at a border post once the check page was opened online."),
                   align="C")
    return bytes(pdf.output())
