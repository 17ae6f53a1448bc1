"""Entries recorded long after their date: the country's limits, the reason they need, the anomaly they raise."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from certreg.actors import Actor
from certreg.countries import services as countries
from certreg.errors import ValidationFailed
from certreg.extensions import db
from certreg.logbook import drafts, holders, recording
from certreg.reports import anomalies
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind
from certreg.vocabulary import HolderKind
from tests import factories

SYSTEM = Actor.system("tests")
TODAY = date.today()


def _import(who, days_ago: int, reason: str | None = None):
    return recording.record_entry(SYSTEM, who, drafts.EntryData(
        kind="import", operation_date=TODAY - timedelta(days=days_ago), substance="HCFC-22", quantity=Decimal("7"),
        import_licence="KZ-IMP-9", customs_declaration="DECL-9", origin_country="CN", exporter_name="Exporter",
        reason=reason))


@pytest.fixture
def importer():
    company = factories.make_company(country_code="KZ", activities=["importer"])
    countries.update_settings(SYSTEM, "KZ", {"late_entry_days": 30, "approval_days": 365})
    db.session.commit()
    return holders.holder(HolderKind.COMPANY, company.id)


def test_late_entries_need_a_reason_and_are_listed_and_too_late_ones_are_refused(importer):
    on_time = _import(importer, 30)
    late = _import(importer, 40, reason="Paper logbook of the border branch")
    with pytest.raises(ValidationFailed) as refused:
        _import(importer, 40)
    assert refused.value.code == "late_entry_reason_required"
    with pytest.raises(ValidationFailed) as too_late:
        _import(importer, 366, reason="Found in a drawer")
    assert too_late.value.code == "late_entry_needs_approval"
    db.session.commit()

    found = anomalies.detect("KZ", Period(TODAY - timedelta(days=100), TODAY), kinds=[AnomalyKind.LATE_ENTRY])
    assert [(a.kind, a.facts) for a in found] == [(AnomalyKind.LATE_ENTRY,
                                                   {"entries": 1, "kg": "7.000", "most_days": 40})]
    ids = list(db.session.scalars(anomalies.evidence_entry_ids(found[0])))
    assert ids == [late.id] and on_time.id not in ids


def test_the_limits_are_country_settings_checked_on_their_key():
    with pytest.raises(ValidationFailed) as bad:
        countries.update_settings(SYSTEM, "KZ", {"late_entry_days": "soon"})
    assert set(bad.value.fields) == {"late_entry_days"}
    with pytest.raises(ValidationFailed) as crossed:
        countries.update_settings(SYSTEM, "KZ", {"late_entry_days": 60, "approval_days": 30})
    assert crossed.value.code == "out_of_range" and set(crossed.value.fields) == {"approval_days"}
    rules = countries.update_settings(SYSTEM, "KZ", {"late_entry_days": "10", "approval_days": 90,
                                                     "company_certificate_required": "yes"})
    assert (rules.late_entry_days, rules.approval_days, rules.company_certificate_required) == (10, 90, True)
    assert rules.as_dict()["late_entry_days"] == 10
