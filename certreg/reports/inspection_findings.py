"""The anomaly kind ``inspection_finding``: an inspection found mislabelled gas (an identifier mismatch)
or seized goods of a holder (:func:`certreg.inspections.findings.holder_findings`); and ``seizure_abroad``:
a peer installation's seizure alert about the country's goods (:mod:`certreg.inspections.alerts`). Kept apart from
:mod:`certreg.reports.anomalies`, whose list calls :func:`anomaly_fields` from its detector ``inspection_findings``.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from certreg.errors import NotFound
from certreg.extensions import db
from certreg.inspections import alerts as received_alerts
from certreg.inspections.findings import holder_findings
from certreg.logbook.models import Logbook
from certreg.reports import scores
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from certreg.substances import services as substances
from certreg.vocabulary import HolderKind

MAX_SERIALS = 20


def anomaly_fields(country: str, period: Period, logbook_id: int | None = None) -> list[dict[str, Any]]:
    """The ``Anomaly`` fields of each holder's findings (the list builds them: see anomalies.DETECTORS)."""
    found = []
    for finding in holder_findings(country, period.date_from, period.date_to):
        column = Logbook.company_id if finding.holder_kind is HolderKind.COMPANY else Logbook.technician_id
        logbook = db.session.scalar(sa.select(Logbook.id).where(column == finding.holder_id))
        if logbook is None or (logbook_id is not None and logbook != logbook_id):
            continue
        ids = sorted(finding.inspections)
        found.append({
            "kind": AnomalyKind.INSPECTION_FINDING, "country_code": country, "period": period, "logbook_id": logbook,
            "facts": {"inspections": ids, "mismatches": finding.mismatches, "seizures": finding.seizures,
                      "seized_kg": str(finding.seized_kg)},
            "terms": scores.terms(scores.base(AnomalyKind.INSPECTION_FINDING), scores.count(len(ids)),
                                  scores.quantity(finding.seized_kg) if finding.seized_kg else None),
            "digest": hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]})
    return found


def alert_fields(country: str, period: Period, logbook_id: int | None = None) -> list[dict[str, Any]]:
    """``seizure_abroad``: the seizure alerts peers sent about the country's goods seized in the period, one
    anomaly per holder of the cylinders (``logbook_id`` None: no holder known, the country as a whole)."""
    grouped: dict[int | None, list] = {}
    for alert in received_alerts.in_period(country, period.date_from, period.date_to):
        if logbook_id is None or (alert.logbook_id or 0) == logbook_id:
            grouped.setdefault(alert.logbook_id, []).append(alert)
    found = []
    for logbook, alerts in grouped.items():
        kg = sum((Decimal(a.kg) for a in alerts), Decimal("0.000"))
        codes = sorted({g["substance"] for a in alerts for g in a.goods})
        facts = {"alerts": [{"id": a.id, "reference": a.reference, "seizing_country": a.seizing_country,
                             "sender": a.sender_name, "seized_on": a.seized_on.isoformat(), "place": a.place,
                             "kg": str(a.kg), "serials": a.serials[:MAX_SERIALS],
                             "substances": sorted({g["substance"] for g in a.goods})} for a in alerts],
                 "count": len(alerts), "kg": str(kg), "substances": codes}
        found.append({
            "kind": AnomalyKind.SEIZURE_ABROAD, "country_code": country, "period": period, "logbook_id": logbook,
            "facts": facts,
            "terms": scores.terms(scores.base(AnomalyKind.SEIZURE_ABROAD), scores.count(len(alerts)),
                                  scores.quantity(kg) if kg else None, scores.annex(annex_level(codes))),
            "digest": hashlib.sha256(",".join(str(a.id) for a in alerts).encode()).hexdigest()[:32]})
    return found


def annex_level(codes: list[str]) -> int:
    """2 when an Annex A/B substance is among ``codes``, 1 for Annex C/E, else 0 (unknown codes count nothing)."""
    level = 0
    for code in codes:
        try:
            annexes = "".join(substances.get(code).annexes)
        except NotFound:
            continue
        level = max(level, 2 if set(annexes) & {"A", "B"} else 1 if set(annexes) & {"C", "E"} else 0)
    return level
