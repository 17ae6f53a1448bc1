"""National baselines, quota allocations and transfers, and what each importer has left (issue 13).

The administrator or certifying officer of a country enters its baseline per control group;
the limit for a year follows from the Protocol's schedule (:mod:`.schedules`). They allocate
quotas to importers (companies with the ``importer`` activity) within the limit and move quota
between importers. Every allocation and transfer line is a leaf of the country's log
(:mod:`.ledger`), appended under the log head's lock: the same lock every import takes, so an
allocation, a transfer and the imports that use the quota are serialised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from certreg.actors import Actor
from certreg.audit import services as audit
from certreg.db import today, utcnow
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import ledger as log
from certreg.quotas import ledger, schedules, usage
from certreg.quotas.models import QuotaBaseline, QuotaLine, QuotaLineKind
from certreg.registry.models import Company
from certreg.vocabulary import Role

logger = logging.getLogger(__name__)

MANAGING_ROLES = (Role.ADMIN, Role.CERTIFYING_OFFICER)
VIEWING_ROLES = (Role.ADMIN, Role.CERTIFYING_OFFICER, Role.INSPECTOR, Role.AUDITOR)
LINES = QuotaLine.__table__
EXACT = Decimal("1e-12")  # the ledger's scale
MAX_AMOUNT = Decimal("1e12")


def can_manage(actor: Actor, country_code: str) -> bool:
    return actor.is_system or actor.in_country(country_code, *MANAGING_ROLES)


def can_view(actor: Actor, country_code: str) -> bool:
    """Officials of the country see every importer; a company user sees its own company's quotas."""
    return actor.is_system or actor.in_country(country_code, *VIEWING_ROLES) or actor.in_country(
        country_code, Role.COMPANY_USER)


def _bad(name: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed.for_field(name, message, code)


def _group(value: str) -> str:
    group = (value or "").strip().upper()
    if group not in schedules.QUOTA_GROUPS:
        raise _bad("group", _("Choose a control group of the Protocol (A/I ... E/I, or F for HFCs)."),
                   "unknown_group")
    return group


def _year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        year = 0
    if not 1989 <= year <= 2200:
        raise _bad("year", _("Enter a year between 1989 and 2200."), "invalid_year")
    return year


def _amount(name: str, value: Any, *, zero: bool = False) -> Decimal:
    try:
        parsed = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, TypeError):
        raise _bad(name, _("Enter a positive number."), "invalid_number") from None
    if not parsed.is_finite() or parsed < 0 or (parsed == 0 and not zero) or parsed >= MAX_AMOUNT:
        raise _bad(name, _("Enter a positive number."), "invalid_number")
    if parsed != parsed.quantize(EXACT):
        raise _bad(name, _("At most twelve decimals."), "invalid_number")
    return parsed.quantize(EXACT)


def _importer(country_code: str, registration: str, name: str = "company") -> Company:
    company = db.session.scalar(sa.select(Company).where(Company.country_code == country_code,
                                                         Company.registration_number == (registration or "").strip()))
    if company is None:
        raise _bad(name, _("No company with this registration number in this country."), "unknown_company")
    if "importer" not in {a.value for a in company.activity_set}:
        raise _bad(name, _("The company is not registered with the activity “%(activity)s”.",
                           activity="importer"), "quota_not_importer")
    return company


# --- baselines and limits -------------------------------------------------------------------


def set_baseline(actor: Actor, country_code: str, group: str, baseline: Any, source: str) -> QuotaBaseline:
    """Enter (or correct) the country's baseline for a group, in the group's unit. Audited."""
    actor.require(can_manage(actor, country_code))
    group = _group(group)
    value = _amount("baseline", baseline, zero=True)
    source = (source or "").strip()
    if not source:
        raise _bad("source", _("Say where the baseline comes from."), "required")
    row = db.session.scalar(sa.select(QuotaBaseline).where(QuotaBaseline.country_code == country_code,
                                                           QuotaBaseline.control_group == group))
    before = None if row is None else {"baseline": str(row.baseline), "source": row.source}
    if row is None:
        row = QuotaBaseline(country_code=country_code, control_group=group, unit=schedules.unit_of(group))
        db.session.add(row)
    row.baseline, row.source, row.updated_by_label, row.updated_at = value, source[:255], actor.label, utcnow()
    db.session.flush()
    audit.record(actor, "quota.baseline", row, country_code=country_code,
                 summary=audit.msg("Baseline for group %(group)s set to %(baseline)s", group=group,
                                   baseline=f"{value:f} {row.unit}"),
                 before=before, after={"baseline": str(value), "unit": row.unit, "source": row.source})
    logger.info("baseline %s %s = %s by %s", country_code, group, value, actor.label)
    return row


def baseline_of(country_code: str, group: str) -> QuotaBaseline | None:
    return db.session.scalar(sa.select(QuotaBaseline).where(QuotaBaseline.country_code == country_code,
                                                            QuotaBaseline.control_group == group))


def national_limit(country_code: str, group: str, year: int) -> Decimal | None:
    """The country's limit for the year (``None``: no baseline, or the schedule has not started)."""
    row = baseline_of(country_code, group)
    return None if row is None else schedules.limit_for(country_code, group, row.baseline, year)


def _allocated(country_code: str, year: int, group: str) -> Decimal:
    return Decimal(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LINES.c.amount), 0)).where(
        LINES.c.country_code == country_code, LINES.c.year == year, LINES.c.control_group == group,
        LINES.c.kind == QuotaLineKind.ALLOCATION.value)) or 0).quantize(EXACT)


# --- allocations and transfers --------------------------------------------------------------


def _line(actor: Actor, country_code: str, year: int, group: str, company_id: int, kind: QuotaLineKind,
          amount: Decimal, reason: str | None, counterpart: int | None = None) -> dict[str, Any]:
    return {"country_code": country_code, "year": year, "control_group": group, "company_id": company_id,
            "kind": kind, "amount": amount, "unit": schedules.unit_of(group), "kg": None, "entry_id": None,
            "counterpart_company_id": counterpart, "reason": reason, "recorded_at": utcnow(),
            "recorded_by_user_id": actor.user_id, "recorded_by_label": actor.label}


def allocate(actor: Actor, country_code: str, year: Any, group: str, company_registration: str, amount: Any,
             reason: str | None = None) -> QuotaLine:
    """Give an importer quota for a year, within the national limit less what is already allocated.

    The first allocation of a year and group also counts the imports already recorded in it
    (their use lines), so that from then on the importers' remaining quota is exact.
    :raise ValidationFailed: ``unknown_group``, ``invalid_year``, ``invalid_number``, ``unknown_company``,
        ``quota_not_importer``, ``baseline_missing``, ``quota_over_limit``.
    """
    actor.require(can_manage(actor, country_code))
    group, year = _group(group), _year(year)
    value = _amount("amount", amount)
    company = _importer(country_code, company_registration)
    if baseline_of(country_code, group) is None:
        raise _bad("group", _("Enter the country's baseline for this group first."), "baseline_missing")
    head = log.lock_head(country_code)  # serialised with every import and allocation of the country
    limit = national_limit(country_code, group, year)
    allocated = _allocated(country_code, year, group)
    if limit is not None and allocated + value > limit:
        raise _bad("amount", _("The national limit for %(year)s is %(limit)s; %(allocated)s is allocated already.",
                               year=f"{year}", limit=f"{limit.normalize():f}",
                               allocated=f"{allocated.normalize():f}"), "quota_over_limit")
    first = group not in usage.allocated_groups(country_code, year)
    now = utcnow()
    line_id = ledger.append_sealed(head, _line(actor, country_code, year, group, company.id,
                                               QuotaLineKind.ALLOCATION, value, (reason or "").strip() or None))
    ledger.finish(head, now)
    if first:
        ledger.count_earlier_uses(country_code, year, group, now, actor.label, actor.user_id)
    line = db.session.get(QuotaLine, line_id)
    audit.record(actor, "quota.allocate", line, country_code=country_code,
                 summary=audit.msg("Allocated %(amount)s of group %(group)s for %(year)s to %(company)s",
                                   amount=f"{value.normalize():f} {line.unit}", group=group, year=year,
                                   company=company.registration_number),
                 after={"year": year, "group": group, "company": company.registration_number,
                        "amount": str(value), "unit": line.unit})
    logger.info("quota %s %s %s +%s to %s by %s", country_code, year, group, value, company.id, actor.label)
    return line


def transfer(actor: Actor, country_code: str, year: Any, group: str, from_registration: str,
             to_registration: str, amount: Any, reason: str | None = None) -> tuple[QuotaLine, QuotaLine]:
    """Move quota from one importer to another (two lines, out and in).

    :raise ValidationFailed: ``quota_exceeded`` (more than the giver has left), ``quota_same_importer``, ...
    """
    actor.require(can_manage(actor, country_code))
    group, year = _group(group), _year(year)
    value = _amount("amount", amount)
    giver = _importer(country_code, from_registration, "from_company")
    receiver = _importer(country_code, to_registration, "to_company")
    if giver.id == receiver.id:
        raise _bad("to_company", _("Choose another importer."), "quota_same_importer")
    head = log.lock_head(country_code)
    left = usage.remaining(country_code, giver.id, year, group)
    if value > left:
        raise _bad("amount", _("The importer has %(left)s left of this quota.", left=f"{left.normalize():f}"),
                   "quota_exceeded")
    reason = (reason or "").strip() or None
    out_id = ledger.append_sealed(head, _line(actor, country_code, year, group, giver.id, QuotaLineKind.TRANSFER_OUT,
                                              -value, reason, receiver.id))
    in_id = ledger.append_sealed(head, _line(actor, country_code, year, group, receiver.id,
                                             QuotaLineKind.TRANSFER_IN, value, reason, giver.id))
    ledger.finish(head, utcnow())
    out_line, in_line = db.session.get(QuotaLine, out_id), db.session.get(QuotaLine, in_id)
    audit.record(actor, "quota.transfer", in_line, country_code=country_code,
                 summary=audit.msg("Moved %(amount)s of group %(group)s for %(year)s from %(giver)s to %(receiver)s",
                                   amount=f"{value.normalize():f} {in_line.unit}", group=group, year=year,
                                   giver=giver.registration_number, receiver=receiver.registration_number),
                 after={"year": year, "group": group, "from": giver.registration_number,
                        "to": receiver.registration_number, "amount": str(value), "unit": in_line.unit})
    return out_line, in_line


# --- what the dashboard shows ---------------------------------------------------------------


@dataclass
class Account:
    """One importer's quota of a group for a year."""

    company_id: int
    name: str
    registration: str
    allocated: Decimal = Decimal(0)  # allocations + transfers in - transfers out
    used: Decimal = Decimal(0)
    used_kg: Decimal = Decimal(0)

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.used


@dataclass
class GroupQuota:
    group: str
    unit: str
    schedule: str
    baseline: Decimal | None
    limit: Decimal | None
    importers: list[Account] = field(default_factory=list)

    @property
    def allocated(self) -> Decimal:
        return sum((a.allocated for a in self.importers), Decimal(0))

    @property
    def used(self) -> Decimal:
        return sum((a.used for a in self.importers), Decimal(0))

    @property
    def used_kg(self) -> Decimal:
        return sum((a.used_kg for a in self.importers), Decimal(0))

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.used

    @property
    def unallocated(self) -> Decimal | None:
        return None if self.limit is None else self.limit - self.allocated

    def as_dict(self) -> dict[str, Any]:
        def num(value: Decimal | None) -> str | None:
            return None if value is None else f"{value.normalize():f}"

        return {"group": self.group, "unit": self.unit, "schedule": self.schedule, "baseline": num(self.baseline),
                "limit": num(self.limit), "allocated": num(self.allocated), "used": num(self.used),
                "used_kg": f"{self.used_kg:f}", "remaining": num(self.remaining),
                "unallocated": num(self.unallocated),
                "importers": [{"company_id": a.company_id, "name": a.name, "registration": a.registration,
                               "allocated": num(a.allocated), "used": num(a.used), "used_kg": f"{a.used_kg:f}",
                               "remaining": num(a.remaining)} for a in self.importers]}


def overview(actor: Actor, country_code: str, year: Any = None) -> list[GroupQuota]:
    """Each group with a baseline or quota lines: limit, allocated, used, remaining; per importer too
    (a company user sees only its own company)."""
    actor.require(can_view(actor, country_code))
    year = today().year if year in (None, "") else _year(year)
    own = actor.user.company_id if actor.has_role(Role.COMPANY_USER) else None
    baselines = {b.control_group: b for b in db.session.scalars(
        sa.select(QuotaBaseline).where(QuotaBaseline.country_code == country_code))}
    query = (sa.select(LINES.c.control_group, LINES.c.company_id, LINES.c.kind,
                       sa.func.sum(LINES.c.amount), sa.func.sum(LINES.c.kg))
             .where(LINES.c.country_code == country_code, LINES.c.year == year)
             .group_by(LINES.c.control_group, LINES.c.company_id, LINES.c.kind))
    if own is not None:
        query = query.where(LINES.c.company_id == own)
    sums = db.session.execute(query).all()
    companies = {c.id: c for c in db.session.scalars(sa.select(Company).where(
        Company.id.in_({row[1] for row in sums})))} if sums else {}
    groups = sorted(set(baselines) | {row[0] for row in sums}, key=schedules.QUOTA_GROUPS.index)
    result = []
    for group in groups:
        baseline = baselines.get(group)
        limit = None if baseline is None else schedules.limit_for(country_code, group, baseline.baseline, year)
        quota = GroupQuota(group, schedules.unit_of(group), schedules.schedule_for(country_code, group),
                           baseline.baseline if baseline else None, limit)
        accounts: dict[int, Account] = {}
        for row_group, company_id, kind, amount, kg in sums:
            if row_group != group:
                continue
            company = companies[company_id]
            account = accounts.setdefault(company_id, Account(company_id, company.legal_name,
                                                              company.registration_number))
            amount = Decimal(amount)
            if kind in (QuotaLineKind.USE.value, QuotaLineKind.USE_REVERSAL.value):
                account.used -= amount
                account.used_kg += Decimal(kg or 0) * (1 if kind == QuotaLineKind.USE.value else -1)
            else:
                account.allocated += amount
        quota.importers = sorted(accounts.values(), key=lambda a: a.name.casefold())
        result.append(quota)
    return result


def lines(actor: Actor, country_code: str, year: Any, group: str, *, limit: int = 200) -> list[QuotaLine]:
    """The ledger's latest lines of a year and group (a company user: its own)."""
    actor.require(can_view(actor, country_code))
    query = sa.select(QuotaLine).where(QuotaLine.country_code == country_code, QuotaLine.year == _year(year),
                                       QuotaLine.control_group == _group(group))
    if actor.has_role(Role.COMPANY_USER):
        query = query.where(QuotaLine.company_id == actor.user.company_id)
    return list(db.session.scalars(query.order_by(QuotaLine.id.desc()).limit(limit)))



def importers(actor: Actor, country_code: str) -> list[Company]:
    """The country's companies registered as importers (who may hold quota), by name."""
    actor.require(can_view(actor, country_code))
    companies = db.session.scalars(sa.select(Company).where(Company.country_code == country_code)
                                   .order_by(Company.legal_name)).all()
    return [c for c in companies if "importer" in {a.value for a in c.activity_set}]
