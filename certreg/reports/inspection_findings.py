"""The anomaly kind ``inspection_finding``: an inspection found mislabelled gas (an identifier mismatch)
or seized goods of a holder (:func:`certreg.inspections.findings.holder_findings`). Kept apart from
:mod:`certreg.reports.anomalies`, whose list calls :func:`anomaly_fields` from its detector ``inspection_findings``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from certreg.extensions import db
from certreg.inspections.findings import holder_findings
from certreg.logbook.models import Logbook
from certreg.reports import scores
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from certreg.vocabulary import HolderKind


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
