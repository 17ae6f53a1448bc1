"""The demo data, as the reports see them: the logbook's planted problems come out on top."""

from __future__ import annotations

from datetime import date, timedelta

from certreg.extensions import db
from certreg.reports import anomalies, figures
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, LogCheck
from tests.factories import ensure_keys


def test_demo_anomalies_and_tamper_checks(app):
    ensure_keys("KG", "KZ", "UZ")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert {c.country_code for c in db.session.scalars(db.select(LogCheck))} == {"KG", "KZ", "UZ"}
    assert all(c.ok for c in db.session.scalars(db.select(LogCheck)))
    year = Period(date.today() - timedelta(days=365), date.today())
    # the demo inspections (a mismatch at a Bishkek market, a seizure at Khorgos) rank first where they happened
    kg = anomalies.detect("KG", year)
    assert kg[0].kind is AnomalyKind.INSPECTION_FINDING and kg[0].facts["mismatches"] == 1
    kg = [a for a in kg if a.kind is not AnomalyKind.INSPECTION_FINDING]
    assert kg[0].kind is AnomalyKind.CHRONIC_LEAKER and kg[0].facts["percent"] == "28.9"
    uz = anomalies.detect("UZ", year)
    assert uz[0].kind is AnomalyKind.REFUSED_ATTEMPTS and uz[0].facts["codes"] == {"virgin_ods_banned": 1}
    kz = anomalies.detect("KZ", year)
    assert kz[0].kind is AnomalyKind.INSPECTION_FINDING and kz[0].facts["seizures"] == 1
    # then the smuggling story of the cylinder register (its label scanned at a market after it was emptied),
    # its refused refill too; then the logbook's
    kz = [a for a in kz if a.kind is not AnomalyKind.INSPECTION_FINDING]
    assert kz[0].kind is AnomalyKind.CLOSED_CYLINDER_SCANNED and kz[0].holder.name == "ТОО «АлматыХладоТорг»"
    assert AnomalyKind.NON_REFILLABLE_REFILL in {a.kind for a in kz}
    [gap] = [a for a in kz if a.kind is AnomalyKind.CUSTODY_GAP]  # Khorgos's count misses its HFC-134a cylinder
    assert gap.holder.name == "ТОО «Хоргос Логистик Сервис»" and gap.facts["substance"] == "HFC-134a"
    assert gap.facts["kg"] == "13.600" and gap.facts["named"] is False
    logbook_kinds = [a for a in kz if a.kind not in (AnomalyKind.CLOSED_CYLINDER_SCANNED, AnomalyKind.CUSTODY_GAP,
                                                     AnomalyKind.NON_REFILLABLE_REFILL, AnomalyKind.CYLINDER_IDLE)]
    assert logbook_kinds[0].kind is AnomalyKind.REFUSED_ATTEMPTS
    assert logbook_kinds[0].facts["codes"] == {"certificate_suspended": 1, "condition_not_in_stock": 1,
                                               "quota_exceeded": 1}
    # imports by exporting country (data form 2): Tashkent's HCFC-22 from China and India
    partners = {(p.direction.value, p.substance.code, p.country): p.kg()
                for p in figures.by_partner_country("UZ", year)}
    assert partners[("imports", "HCFC-22", "IN")] == 600 and partners[("imports", "HCFC-22", "CN")] >= 1200
    assert ("exports", "HFC-125", "KG") in {(p.direction.value, p.substance.code, p.country)
                                             for p in figures.by_partner_country("KZ", year)}
