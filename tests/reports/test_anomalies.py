"""Acceptance 2: each kind of anomaly, planted in a clean demo-like market, comes out on top; clean data raises none."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.audit.models import AuditEntry
from certreg.errors import Conflict, Forbidden, ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import queries, transfers
from certreg.logbook.models import Entry, EntryKind
from certreg.reports import anomalies, services
from certreg.reports.anomalies import Settings
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, ReviewState
from tests import factories
from tests.dbutil import IS_POSTGRES
from tests.reports.books import SYSTEM, holder_of, record
from tests.reports.market import Market, append_unchecked

YEAR = Period.year(2025)


@pytest.fixture
def market() -> Market:
    return Market("KZ")


def ranked(period: Period = YEAR, **kwargs) -> list[anomalies.Anomaly]:
    return services.anomalies(SYSTEM, "KZ", period, state=ReviewState.ALL, **kwargs)


def assert_on_top(found: list[anomalies.Anomaly], kind: AnomalyKind, who, market: Market) -> anomalies.Anomaly:
    assert found, "no anomaly found"
    top = found[0]
    assert (top.kind, top.logbook_id) == (kind, market.logbook_id(who)), [(a.kind, a.holder, a.score) for a in found]
    assert top.score > 0 and top.terms[0].code == "base"
    return top


def as_superuser(sql: str, **params) -> None:
    """Change the database past the append-only triggers, as an attacker with database rights would."""
    if IS_POSTGRES:
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.text(sql), params)
        db.session.execute(sa.text("SET LOCAL session_replication_role = origin"))
        return
    triggers = db.session.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'logbook_%'")).all()
    for name, _sql in triggers:
        db.session.execute(sa.text(f"DROP TRIGGER {name}"))
    db.session.execute(sa.text(sql), params)
    for _name, create in triggers:
        db.session.execute(sa.text(create))


# --- clean data ---------------------------------------------------------------------------------


def test_clean_market_raises_no_anomaly(market):
    check = services.run_log_check(SYSTEM, "KZ")
    assert check.ok, check.report
    for year in (2023, 2024, 2025):
        assert ranked(Period.year(year)) == []
    assert ranked(Period(date(2023, 1, 1), date(2025, 12, 31))) == []


# --- each kind, planted ---------------------------------------------------------------------------


def test_mass_balance_gap(market):
    gap = market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    top = assert_on_top(ranked(), AnomalyKind.MASS_BALANCE, market.dealer, market)
    assert top.facts["gross_kg"] == "120.000" and top.facts["net_kg"] == "-120.000"
    assert {t.code for t in top.terms} == {"base", "quantity", "annex_ce"}
    ids = list(db.session.scalars(anomalies.evidence_entry_ids(top)))
    assert ids == [gap.id]  # the small count of the clean market is not evidence


def test_refused_sale_attempts(market):
    bad_number = "KZ-T-2025-000999-0"
    for _ in range(2):
        try:
            record(market.dealer, "sale", "HCFC-22", "10", on=date(2025, 11, 1), buyer_certificate=bad_number)
        except ValidationFailed as exc:
            assert exc.code in ("unknown_certificate", "malformed_number")
            roll_back(exc)
        else:
            pytest.fail("the sale was not refused")
    top = assert_on_top(ranked(Period(date(2025, 1, 1), date.today())), AnomalyKind.REFUSED_ATTEMPTS,
                        market.dealer, market)
    assert top.facts["attempts"] == 2
    refusals = anomalies.evidence_refusals(top)
    assert len(refusals) == 2 and all(r.buyer_certificate == bad_number for r in refusals)


def test_used_gas_sold_without_source(market):
    tech = holder_of(market.technician)
    record(tech, "purchase", "HCFC-22", "50", on=date(2025, 11, 1), condition="recovered",
           counterparty_name="Рынок Барахолка")
    market.sell(tech, market.dealer, market.dealer_cert, "HCFC-22", "40", on=date(2025, 11, 5), condition="recovered")
    top = assert_on_top(ranked(), AnomalyKind.USED_WITHOUT_SOURCE, market.technician, market)
    # sold as used over three years: 3 x 4 kg + 40 kg = 52 kg; recovered from equipment: 3 x 5 kg = 15 kg
    assert top.facts["substances"]["HCFC-22"] == {"sold_kg": "52.000", "sourced_kg": "15.000", "gap_kg": "37.000"}
    kinds = {k for k, in db.session.execute(sa.select(Entry.kind).where(
        Entry.id.in_(anomalies.evidence_entry_ids(top).scalar_subquery())))}
    assert kinds == {EntryKind.SALE, EntryKind.PURCHASE}


def test_disputed_sale(market):
    sale = market.sell(market.dealer, market.technician, market.technician_cert, "HCFC-22", "25",
                       on=date(2025, 11, 1), confirm=False)
    transfers.dispute_transfer(SYSTEM, queries.transfer_of(sale).id, "We never received these cylinders")
    top = assert_on_top(ranked(), AnomalyKind.UNCONFIRMED_TRANSFER, market.dealer, market)
    assert (top.facts["disputed"], top.facts["pending"]) == (1, 0)
    assert list(db.session.scalars(anomalies.evidence_entry_ids(top))) == [sale.id]


def test_sale_never_confirmed(market):
    sale = market.sell(market.dealer, market.technician, market.technician_cert, "HCFC-22", "25",
                       on=date(2025, 11, 1), confirm=False)
    settings = Settings.from_config()
    assert anomalies.detect("KZ", YEAR, settings=settings) == []  # pending for less than REPORTS_PENDING_DAYS
    later = replace(settings, now=settings.now + timedelta(days=31))
    top = assert_on_top(anomalies.detect("KZ", YEAR, settings=later), AnomalyKind.UNCONFIRMED_TRANSFER,
                        market.dealer, market)
    assert (top.facts["disputed"], top.facts["pending"]) == (0, 1)
    assert list(db.session.scalars(anomalies.evidence_entry_ids(top, later))) == [sale.id]


def test_import_without_proof_of_origin(market):
    """The logbook refuses such imports now; an import loaded earlier (blank, not null) is still found."""
    planted = append_unchecked(market.importer, kind="import", operation_date=date(2025, 7, 1),
                               substance_code="CFC-12", quantity=Decimal("200.000"), import_licence="",
                               customs_declaration="10702020/250701/0004455", origin_country="CN",
                               exporter_name="  ")
    top = assert_on_top(ranked(), AnomalyKind.IMPORT_WITHOUT_PROOF, market.importer, market)
    assert top.facts == {"imports": 1, "kg": "200.000"}
    assert "annex_ab" in {t.code for t in top.terms}
    assert list(db.session.scalars(anomalies.evidence_entry_ids(top))) == [planted.id]


def test_import_far_above_history(market):
    record(market.importer, "import", "HCFC-22", "4000", on=date(2025, 8, 1))
    top = assert_on_top(ranked(), AnomalyKind.IMPORT_SURGE, market.importer, market)
    # 2025: 1000 + 400 + 4000 kg; 2022-2024 average of the years with imports: 1400 kg
    assert top.facts["kg"] == "5400.000" and top.facts["average_kg"] == "1400.000"
    assert top.facts["history"] == ["1400.000", "1400.000", "0.000"]
    # not in 2024: steady
    assert ranked(Period.year(2024)) == []


def test_chronic_leaker(market):
    market.work("charge", date(2025, 11, 1), charge="6")  # 1.5 + 6 = 7.5 kg in 12 months: 15 % of 50 kg
    top = assert_on_top(ranked(), AnomalyKind.CHRONIC_LEAKER, market.technician, market)
    assert top.equipment_id == market.freezer.id
    assert (top.facts["added_kg"], top.facts["percent"], top.facts["threshold_percent"]) == ("7.500", "15.0", "10")
    charges = list(db.session.scalars(anomalies.evidence_entry_ids(top)))
    assert len(charges) == 2


def test_tampered_logbook(market):
    victim = db.session.scalar(sa.select(Entry.id).where(
        Entry.logbook_id == market.logbook_id(market.dealer)).order_by(Entry.id).limit(1))
    as_superuser("UPDATE logbook_entries SET quantity = quantity + 100 WHERE id = :id", id=victim)
    check = services.run_log_check(SYSTEM, "KZ")
    assert not check.ok
    top = assert_on_top(ranked(), AnomalyKind.TAMPER, market.dealer, market)
    assert top.facts["codes"]["entry_changed"] == 1
    assert victim in set(db.session.scalars(anomalies.evidence_entry_ids(top)))
    # found whatever period is asked for
    assert ranked(Period.year(2020))[0].kind is AnomalyKind.TAMPER


def test_ranking_puts_the_most_serious_first(market):
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    market.work("charge", date(2025, 11, 1), charge="6")
    append_unchecked(market.importer, kind="import", operation_date=date(2025, 7, 1), substance_code="CFC-12",
                     quantity=Decimal("200.000"), import_licence="", customs_declaration="X", origin_country="CN",
                     exporter_name="Y")
    found = ranked()
    assert [a.kind for a in found] == [AnomalyKind.IMPORT_WITHOUT_PROOF, AnomalyKind.MASS_BALANCE,
                                       AnomalyKind.CHRONIC_LEAKER]
    assert [a.score for a in found] == sorted((a.score for a in found), reverse=True)
    only = ranked(kinds=[AnomalyKind.CHRONIC_LEAKER])
    assert [a.kind for a in only] == [AnomalyKind.CHRONIC_LEAKER]


# --- reviews -------------------------------------------------------------------------------------------


def test_administrator_marks_reviewed_with_a_note_and_new_evidence_reopens(market):
    admin = Actor.of(factories.make_user("admin", "KZ"))
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    found = services.anomalies(admin, "KZ", YEAR)
    assert len(found) == 1
    anomaly = found[0]
    review = services.review_anomaly(admin, "KZ", YEAR, anomaly.kind, anomaly.logbook_id, None, anomaly.fingerprint,
                                     "Inspected on 2 December: cylinders seized, case 2025/311.")
    db.session.commit()
    assert services.anomalies(admin, "KZ", YEAR) == []
    reviewed = services.anomalies(admin, "KZ", YEAR, state=ReviewState.REVIEWED)
    assert reviewed[0].review.id == review.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "anomaly.review"))
    assert entry.reason.startswith("Inspected on 2 December") and entry.country_code == "KZ"
    with pytest.raises(Conflict) as exc:
        services.review_anomaly(admin, "KZ", YEAR, anomaly.kind, anomaly.logbook_id, None, anomaly.fingerprint, "x")
    assert exc.value.code == "already_reviewed"
    # a new gap: the same holder's anomaly is open again, and remembers the earlier review
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 29), delta=Decimal("-50"))
    again = services.anomalies(admin, "KZ", YEAR)
    assert len(again) == 1 and again[0].fingerprint != anomaly.fingerprint
    detail = services.anomaly(admin, "KZ", YEAR, anomaly.kind, anomaly.logbook_id)
    assert [r.id for r in detail.earlier_reviews] == [review.id]


def test_review_refuses_stale_evidence_and_empty_notes(market):
    admin = Actor.of(factories.make_user("admin", "KZ"))
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    anomaly = services.anomalies(admin, "KZ", YEAR)[0]
    with pytest.raises(ValidationFailed) as exc:
        services.review_anomaly(admin, "KZ", YEAR, anomaly.kind, anomaly.logbook_id, None, anomaly.fingerprint, " ")
    assert exc.value.code == "note_required"
    with pytest.raises(Conflict) as exc:
        services.review_anomaly(admin, "KZ", YEAR, anomaly.kind, anomaly.logbook_id, None, "0" * 64, "Seen.")
    assert exc.value.code == "evidence_changed"


def test_auditors_read_but_do_not_review_and_other_countries_see_nothing(market):
    auditor = Actor.of(factories.make_user("auditor", "KZ"))
    kg_admin = Actor.of(factories.make_user("admin", "KG"))
    market.stock_count(market.dealer, "HCFC-22", on=date(2025, 12, 28), delta=Decimal("-120"))
    anomaly = services.anomalies(auditor, "KZ", YEAR)[0]
    with pytest.raises(Forbidden):
        services.review_anomaly(auditor, "KZ", YEAR, anomaly.kind, anomaly.logbook_id, None, anomaly.fingerprint,
                                "Looks fine to me.")
    with pytest.raises(Forbidden):
        services.run_log_check(auditor, "KZ")
    with pytest.raises(Forbidden):
        services.anomalies(kg_admin, "KZ", YEAR)
    with pytest.raises(Forbidden):
        services.article7(kg_admin, "KZ", YEAR)
