"""What an anomaly is (:class:`Anomaly`: its kind, holder, facts and explained score), the thresholds it is
found with (:class:`Settings`, from the ``REPORTS_*`` settings) and the SQL pieces every detector shares.
The detectors are in :mod:`certreg.reports.detectors`; :mod:`certreg.reports.anomalies` ranks what they find."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from certreg.db import utcnow
from certreg.logbook.models import EntryKind
from certreg.reports import scores
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, AnomalyReview
from certreg.vocabulary import HolderKind

ZERO = Decimal("0.000")
#: Refused attempts that count: placing on the market and crossing the border.
REFUSED_KINDS = (EntryKind.SALE, EntryKind.IMPORT, EntryKind.EXPORT)
#: Kinds ranked first when scores tie (most serious first).
KIND_ORDER = list(scores.BASE)


@dataclass(frozen=True)
class Settings:
    stock_gap_kg: Decimal
    stock_gap_percent: Decimal
    unsourced_kg: Decimal
    pending_days: int
    surge_factor: Decimal
    history_years: int
    surge_min_kg: Decimal
    now: datetime

    @classmethod
    def from_config(cls, now: datetime | None = None) -> Settings:
        config = current_app.config
        return cls(
            stock_gap_kg=Decimal(config["REPORTS_STOCK_GAP_KG"]),
            stock_gap_percent=Decimal(config["REPORTS_STOCK_GAP_PERCENT"]),
            unsourced_kg=Decimal(config["REPORTS_UNSOURCED_USED_KG"]),
            pending_days=int(config["REPORTS_PENDING_DAYS"]),
            surge_factor=Decimal(config["REPORTS_IMPORT_SURGE_FACTOR"]),
            history_years=int(config["REPORTS_IMPORT_HISTORY_YEARS"]),
            surge_min_kg=Decimal(config["REPORTS_IMPORT_SURGE_MIN_KG"]),
            now=now or utcnow(),
        )


@dataclass(frozen=True)
class HolderRef:
    kind: HolderKind
    id: int
    name: str
    registration: str | None = None


@dataclass
class Anomaly:
    kind: AnomalyKind
    country_code: str
    period: Period
    logbook_id: int | None
    facts: dict[str, Any]
    terms: list[scores.Term]
    digest: str
    equipment_id: int | None = None
    holder: HolderRef | None = None
    review: AnomalyReview | None = None
    earlier_reviews: list[AnomalyReview] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        return scores.total(self.terms)

    @property
    def fingerprint(self) -> str:
        text = "|".join([self.kind.value, self.country_code, str(self.logbook_id or 0), str(self.equipment_id or 0),
                         self.digest])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def is_reviewed(self) -> bool:
        return self.review is not None

    @property
    def subject(self) -> int:
        """The logbook id in URLs (0: the country's log as a whole)."""
        return self.logbook_id or 0


# --- SQL helpers ----------------------------------------------------------------------------


def annex_level(s: sa.Table) -> sa.Case:
    """2: an Annex A/B substance (or a blend containing one); 1: Annex C/E; 0: otherwise."""
    return sa.case(
        (sa.or_(s.c.annexes.like("%A%"), s.c.annexes.like("%B%")), 2),
        (sa.or_(s.c.annexes.like("%C%"), s.c.annexes.like("%E%")), 1),
        else_=0,
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def as_kg(value: Any) -> Decimal:
    return Decimal(value).quantize(Decimal("0.001")) if value is not None else ZERO


def digest_of(*parts: Any) -> str:
    return ":".join(str(p) for p in parts)


def logbook_filter(column: sa.ColumnElement[Any], logbook_id: int | None) -> list[sa.ColumnElement[bool]]:
    return [column == logbook_id] if logbook_id is not None else []
