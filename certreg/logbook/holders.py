"""Who keeps a logbook (a company or a technician), who may read and write it, and the
one reading of a holder reference (``company:ID`` / ``technician:ID``) for pages and the API."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.errors import Forbidden, NotFound, ValidationFailed
from certreg.extensions import db
from certreg.inputs import INT32_MAX
from certreg.logbook import ledger
from certreg.logbook.models import Logbook
from certreg.registry.models import Company, Technician
from certreg.vocabulary import OFFICIAL_ROLES, HolderKind, Role

logger = logging.getLogger(__name__)


# --- holders and permissions -------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """Whoever keeps a logbook: a company or a technician."""

    kind: HolderKind
    id: int
    country_code: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind.value}:{self.id}"


MAX_ID = 2**31 - 1  # companies.id and technicians.id are INTEGER: a larger id names no one


def holder(kind: HolderKind | str, holder_id: int) -> Holder:
    """:raise NotFound: no such company or technician."""
    try:
        kind = HolderKind(kind)
    except ValueError:
        raise NotFound() from None
    if not 0 < holder_id <= MAX_ID:
        raise NotFound()
    record = db.session.get(Company if kind is HolderKind.COMPANY else Technician, holder_id)
    if record is None:
        raise NotFound()
    return Holder(kind, record.id, record.country_code, record.display_name)


_REF = re.compile(r"(company|technician):([0-9]{1,30})", re.ASCII)


def parse_ref(ref: str) -> tuple[HolderKind, int]:
    """``company:ID`` or ``technician:ID`` as (kind, id): the one reading of a holder reference.

    :raise ValidationFailed: ``invalid_holder`` (422) when it is not written that way.
    """
    match = _REF.fullmatch(ref.strip()) if isinstance(ref, str) else None
    if match is None:
        raise invalid_holder_ref()
    return HolderKind(match.group(1)), int(match.group(2))


def holder_by_ref(actor: Actor, ref: str) -> Holder:
    """The holder named by ``ref``, whose logbook the actor may read (pages and API answer alike).

    :raise ValidationFailed: ``invalid_holder`` (422), a malformed reference.
    :raise NotFound: (404) no such holder, or the actor may not see its logbook.
    """
    kind, number = parse_ref(ref)
    if number > INT32_MAX:  # beyond the column's range: no such holder
        raise NotFound()
    who = holder(kind, number)
    require_read(actor, who)
    return who


def holder_of(logbook: Logbook) -> Holder:
    return holder(logbook.holder_kind, logbook.holder_id)


def acting_holder(actor: Actor) -> Holder | None:
    """The holder a company user or technician writes for (officials and the system have none)."""
    user = actor.user
    if user is None:
        return None
    if user.role is Role.COMPANY_USER and user.company_id:
        return holder(HolderKind.COMPANY, user.company_id)
    if user.role is Role.TECHNICIAN and user.technician_id:
        return holder(HolderKind.TECHNICIAN, user.technician_id)
    return None


def can_write(actor: Actor, who: Holder) -> bool:
    if actor.is_system:
        return True
    if who.kind is HolderKind.COMPANY:
        return actor.acts_for_company(who.id)
    return actor.acts_for_technician(who.id)


def can_read(actor: Actor, who: Holder) -> bool:
    return can_write(actor, who) or actor.in_country(who.country_code, *OFFICIAL_ROLES)


def require_read(actor: Actor, who: Holder) -> None:
    """:raise NotFound: the actor may not see this logbook (its existence is not revealed)."""
    if not can_read(actor, who):
        raise NotFound()


def require_write(actor: Actor, who: Holder) -> None:
    require_read(actor, who)
    actor.require(can_write(actor, who))


_LOGBOOK_OF = {kind: sa.select(Logbook).where(column == sa.bindparam("holder"))  # built once: every entry asks
               for kind, column in ((HolderKind.COMPANY, Logbook.company_id),
                                    (HolderKind.TECHNICIAN, Logbook.technician_id))}


def logbook_for(who: Holder, *, create: bool = False) -> Logbook | None:
    query = _LOGBOOK_OF[who.kind]
    logbook = db.session.scalar(query, {"holder": who.id})
    if logbook is None and create:
        values = {"country_code": who.country_code, "holder_kind": who.kind.value,
                  "company_id": who.id if who.kind is HolderKind.COMPANY else None,
                  "technician_id": who.id if who.kind is HolderKind.TECHNICIAN else None}
        db.session.execute(ledger.insert_or_ignore(Logbook.__table__, **values))
        logbook = db.session.scalar(query, {"holder": who.id})
    return logbook


# --- refusals the API and pages share (their messages live in this feature's catalogue) -------


def not_a_holder() -> Forbidden:
    return Forbidden(_("Only companies and technicians keep logbooks."), code="not_a_holder")


def invalid_holder_ref() -> ValidationFailed:
    return ValidationFailed.for_field("holder", _("Write the holder as company:ID or technician:ID."),
                                      "invalid_holder")


def holder_required() -> Forbidden:
    return Forbidden(_("Give holder=company:ID or holder=technician:ID."), code="holder_required")

