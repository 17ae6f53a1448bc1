"""Inspection findings held against a holder: identifier mismatches and seizures, per holder and period.

The ministry's anomaly list (:mod:`certreg.reports`) calls :func:`holder_findings`; the holder is the
inspection's subject, or else the registered cylinder's custodian
(:func:`certreg.inspections.records.holder_of_finding`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from certreg.extensions import db
from certreg.inspections.models import CylinderCheck, Inspection, ReadingVerdict, SeizedGoods, Seizure
from certreg.inspections.records import find_cylinder, holder_of_finding
from certreg.vocabulary import HolderKind


@dataclass

class Finding:
    holder_kind: HolderKind
    holder_id: int
    inspections: set[int] = field(default_factory=set)
    mismatches: int = 0
    seizures: int = 0
    seized_kg: Decimal = Decimal("0.000")


def holder_findings(country_code: str, date_from: date, date_to: date) -> list[Finding]:
    """Mismatches and seizures of inspections in ``country_code`` begun in the period, grouped by holder."""
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    in_period = [Inspection.country_code == country_code, Inspection.started_at >= start, Inspection.started_at < end]
    found: dict[tuple[HolderKind, int], Finding] = {}

    def note(inspection: Inspection, cylinder) -> Finding | None:
        owner = holder_of_finding(inspection, cylinder)
        if owner is None:
            return None
        return found.setdefault(owner, Finding(*owner))

    for check, inspection in db.session.execute(
            sa.select(CylinderCheck, Inspection).join(Inspection, Inspection.id == CylinderCheck.inspection_id)
            .where(*in_period, CylinderCheck.verdict == ReadingVerdict.MISMATCH)):
        finding = note(inspection, check.cylinder)
        if finding is not None:
            finding.mismatches += 1
            finding.inspections.add(inspection.id)
    kg: dict[int, Decimal] = defaultdict(Decimal)
    for seizure_id, total in db.session.execute(sa.select(SeizedGoods.seizure_id, sa.func.sum(SeizedGoods.kg))
                                                .group_by(SeizedGoods.seizure_id)):
        kg[seizure_id] = Decimal(total)
    for seizure, inspection in db.session.execute(
            sa.select(Seizure, Inspection).join(Inspection, Inspection.id == Seizure.inspection_id).where(*in_period)):
        first = seizure.goods[0].serials.split(", ")[0] if seizure.goods and seizure.goods[0].serials else None

        finding = note(inspection, find_cylinder(first) if first else None)
        if finding is not None:
            finding.seizures += 1
            finding.seized_kg += kg[seizure.id]
            finding.inspections.add(inspection.id)
    return sorted(found.values(), key=lambda f: (f.holder_kind.value, f.holder_id))
