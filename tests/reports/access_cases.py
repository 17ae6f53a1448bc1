"""Access cases for the report pages, downloads, anomaly review, tamper checks and the reports API.

Administrators and auditors read their own country's reports (KG here; the KZ administrator
reads KZ's); nobody reads another country's. Only administrators mark anomalies reviewed and
run the tamper check: auditors change nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from certreg.extensions import db
from certreg.reports import anomalies
from certreg.reports.figures import Period
from tests.access import Case, expect
from tests.reports.books import SYSTEM, record

READ = expect(403, anonymous=302, admin=200, auditor=200, kz_admin=200)
READ_KG_ONLY = expect(403, anonymous=302, admin=200, auditor=200)
REVIEW = expect(403, anonymous=302, admin=302)
CHECK = expect(403, anonymous=302, admin=302, kz_admin=302)
API_READ = expect(403, anonymous=401, admin=200, auditor=200, kz_admin=200)
API_KG_ONLY = expect(403, anonymous=401, admin=200, auditor=200)
YEAR = Period.year(2025)


def build(world) -> None:
    """A mass-balance gap in the KG company's logbook: 100 kg imported, 50 kg counted."""
    from certreg.logbook import holders
    from certreg.vocabulary import HolderKind

    record(world.company_own, "import", "HCFC-22", "100", on=date(2025, 3, 1))
    who = holders.holder(HolderKind.COMPANY, world.company_own.id)
    record(who, "stock_count", "HCFC-22", "0", on=date(2025, 6, 1), quantity=None, counted_quantity=Decimal("50"),
           reason="Counted at the warehouse", actor=SYSTEM)
    db.session.commit()
    found = anomalies.detect("KG", YEAR)
    assert [a.kind.value for a in found] == ["mass_balance"]
    world.extra["anomaly"] = found[0]


def anomaly_path(w, suffix: str = "") -> str:
    a = w.anomaly
    return f"/reports/anomalies/mass_balance/{a.logbook_id}{suffix}?country=KG&date_from=2025-01-01&date_to=2025-12-31"


def review_data(w) -> dict:
    return {"note": "Inspected; the missing gas was sold without records. Fined.", "fingerprint": w.anomaly.fingerprint,
            "country": "KG", "date_from": "2025-01-01", "date_to": "2025-12-31", "equipment": ""}


def assign_data(w) -> dict:
    return {"assignee": w.users["auditor"].id, "note": "Please look at the March import.", "country": "KG",
            "date_from": "2025-01-01", "date_to": "2025-12-31", "equipment": ""}


CASES = [
    Case("GET", lambda w: "/reports", READ, note="dashboard"),
    Case("GET", lambda w: "/reports?year=2025", READ, note="dashboard 2025"),
    Case("GET", lambda w: "/reports/article7?year=2025", READ, note="article 7"),
    Case("GET", lambda w: "/reports/article7?year=2025&country=KG", READ_KG_ONLY, note="article 7 of KG"),
    Case("GET", lambda w: "/reports/article7.csv?year=2025", READ, note="article 7 csv"),
    Case("GET", lambda w: "/reports/article7.xlsx?year=2025&country=KG", READ_KG_ONLY, note="article 7 xlsx of KG"),
    Case("GET", lambda w: "/reports/breakdown?year=2025&by=month", READ, note="breakdown per month"),
    Case("GET", lambda w: "/reports/breakdown?year=2025&by=year&country=KG", READ_KG_ONLY, note="trends of KG"),
    Case("GET", lambda w: "/reports/breakdown.csv?by=holder_kind", READ, note="breakdown csv"),
    Case("GET", lambda w: "/reports/breakdown.xlsx?by=year", READ, note="breakdown xlsx"),
    Case("GET", lambda w: "/reports/entries?year=2025&country=KG&column=imports_new&substance=HCFC-22",
         READ_KG_ONLY, note="entries behind a KG figure"),
    Case("GET", lambda w: "/reports/entries?year=2025", READ, note="entries of the year"),
    Case("GET", lambda w: "/reports/entries.csv?year=2025&country=KG", READ_KG_ONLY, note="entries csv of KG"),
    Case("GET", lambda w: "/reports/entries.xlsx?year=2025", READ, note="entries xlsx"),
    Case("GET", lambda w: "/reports/anomalies?year=2025", READ, note="anomalies"),
    Case("GET", lambda w: "/reports/anomalies?year=2025&country=KG&state=all", READ_KG_ONLY, note="anomalies of KG"),
    Case("GET", lambda w: "/reports/anomalies.csv?year=2025", READ, note="anomalies csv"),
    Case("GET", lambda w: "/reports/anomalies.xlsx?year=2025", READ, note="anomalies xlsx"),
    Case("GET", anomaly_path, READ_KG_ONLY, note="anomaly and its evidence"),
    Case("GET", lambda w: anomaly_path(w, "/evidence.csv"), READ_KG_ONLY, note="evidence csv"),
    Case("GET", lambda w: anomaly_path(w, "/evidence.xlsx"), READ_KG_ONLY, note="evidence xlsx"),
    Case("POST", lambda w: f"/reports/anomalies/mass_balance/{w.anomaly.logbook_id}/review", REVIEW,
         data=review_data, note="mark reviewed"),
    Case("POST", lambda w: f"/reports/anomalies/mass_balance/{w.anomaly.logbook_id}/assign", REVIEW,
         data=assign_data, note="assign for review"),
    Case("POST", lambda w: "/reports/log-checks", CHECK, note="run the tamper check"),
    Case("GET", lambda w: "/api/v1/reports/article7?year=2025", API_READ, api=True, note="api article 7"),
    Case("GET", lambda w: "/api/v1/reports/article7?year=2025&country=KG&format=xlsx", API_KG_ONLY, api=True,
         note="api article 7 xlsx of KG"),
    Case("GET", lambda w: "/api/v1/reports/breakdown?year=2025&by=partner_country", API_READ, api=True,
         note="api breakdown by partner country"),
    Case("GET", lambda w: "/api/v1/reports/breakdown?year=2025&by=month&country=KG&format=csv", API_KG_ONLY,
         api=True, note="api breakdown csv of KG"),
    Case("GET", lambda w: "/reports/breakdown?year=2025&by=partner_country", READ, note="breakdown by partner"),
    Case("GET", lambda w: "/api/v1/reports/anomalies?year=2025", API_READ, api=True, note="api anomalies"),
    Case("GET", lambda w: "/api/v1/reports/entries?year=2025&country=KG", API_KG_ONLY, api=True,
         note="api entries of KG"),
    Case("POST", lambda w: f"/api/v1/reports/anomalies/mass_balance/{w.anomaly.logbook_id}/assign"
         "?country=KG&date_from=2025-01-01&date_to=2025-12-31", expect(403, anonymous=401, admin=201),
         api=True, data=lambda w: {"assignee_id": w.users["auditor"].id}, note="api assign for review"),
]
