"""``flask logbook import FILE.csv``: all or nothing, every bad line reported, every rule applied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from certreg.extensions import db
from certreg.logbook.models import Entry, ImportBatch, MerkleLog, Refusal
from tests import dbutil
from tests.conftest import count_rows, make_test_app
from tests.logbook.builders import HEADER, csv_lines
from tests.logbook.conftest import TODAY, People, certify, stock

ROOT = Path(__file__).resolve().parents[2]
IMPORT_LINE = f"{TODAY},import,HCFC-22,100,virgin,,LIC-1,DECL-1,CN,Example Chemical Co.,,,INV-1"


def run_import(app, tmp_path, people, text: str, name: str = "paper.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    company = people.dealer_company
    return app.test_cli_runner().invoke(args=["logbook", "import", str(path), "--country", company.country_code,
                                              "--company", company.registration_number])


def test_import_writes_every_line_with_hashes_balances_and_a_batch(app, tmp_path, people):
    result = run_import(app, tmp_path, people, HEADER + csv_lines(120))
    assert result.exit_code == 0, result.output
    assert "imported 120 entries" in result.output
    batch = db.session.scalar(sa.select(ImportBatch))
    assert batch.line_count == 120 and batch.filename == "paper.csv"
    entries = db.session.scalars(sa.select(Entry).order_by(Entry.seq)).all()
    assert [e.seq for e in entries] == list(range(120)) and {e.import_id for e in entries} == {batch.id}
    assert entries[7].cylinders == ["CYL-7-A", "CYL-7-B"]
    assert app.test_cli_runner().invoke(args=["logbook", "verify"]).exit_code == 0
    again = run_import(app, tmp_path, people, HEADER + csv_lines(120))
    assert again.exit_code == 1 and "duplicate_import" in again.output


def test_bad_lines_are_all_reported_and_nothing_is_written(app, tmp_path, people):
    text = HEADER + "\n".join([
        IMPORT_LINE,
        f"{TODAY},import,HCFC-22,5,virgin,,,,CN,Example,,,",  # no licence, no declaration
        f"{TODAY},export,HCFC-22,500,virgin,,,,,,EXP-1,UZ,",  # more than in stock
        "31/12/2024,import,HCFC-22,5,virgin,,L,D,CN,E,,,",  # bad date
        f"{TODAY},import,R-999,5,virgin,,L,D,CN,E,,,",  # unknown substance
        f"{TODAY},import,HCFC-22,1.2345,virgin,,L,D,CN,E,,,",  # grams at most
        f"{TODAY},export,HCFC-22,50,virgin,,,,,,EXP-2,UZ,",  # fine: 100 kg in stock
    ]) + "\n"
    before = count_rows(Entry, ImportBatch, MerkleLog)
    result = run_import(app, tmp_path, people, text)
    assert result.exit_code == 1
    output = result.output
    assert "line 3: import_licence:" in output and "proof_of_origin_missing" in output
    assert "line 4: quantity_kg:" in output and "insufficient_stock" in output
    assert "line 5: date:" in output and "line 6: substance:" in output and "line 7: quantity_kg:" in output
    assert "line 2" not in output and "line 8" not in output
    assert "nothing imported: 6 bad line(s)" in output
    after = count_rows(Entry, ImportBatch, MerkleLog)
    assert {k: v for k, v in after.items() if k != "audit_entries"} == \
        {k: v for k, v in before.items() if k != "audit_entries"}
    refusals = db.session.scalars(sa.select(Refusal).order_by(Refusal.id)).all()
    assert [(r.code, r.channel.value, r.details["line"]) for r in refusals] == [
        ("proof_of_origin_missing", "csv", 3), ("insufficient_stock", "csv", 4)]


def test_the_report_stops_counting_after_a_thousand_bad_lines(app, tmp_path, people):
    from certreg.logbook.imports import MAX_ERRORS

    bad = [f"31/12/{2000 + i % 20},import,HCFC-22,5,virgin,,L,D,CN,E,,," for i in range(MAX_ERRORS + 200)]
    result = run_import(app, tmp_path, people, HEADER + "\n".join([IMPORT_LINE, *bad]) + "\n")
    assert result.exit_code == 1
    assert f"nothing imported: {MAX_ERRORS} bad line(s) (stopped counting)" in result.output
    assert f"line {MAX_ERRORS + 2}: date:" in result.output and f"line {MAX_ERRORS + 3}:" not in result.output
    assert stock(people.dealer) == 0


@pytest.mark.parametrize("line,certificate,code", [
    (f"{TODAY},sale,R-404A,1,virgin,,,,,,,,", None, "buyer_certificate_required"),
    (f"{TODAY},sale,CFC-12,1,virgin,,,,,,,,", "A1", "virgin_ods_banned"),
    (f"{TODAY},sale,HCFC-22,1,recovered,,,,,,,,", "A1", "condition_not_in_stock"),
    (f"{TODAY},sale,HCFC-22,1,virgin,,,,,,,,", "D", "activity_not_certified"),
    (f"{TODAY},import,HCFC-22,1,virgin,,LIC,,CN,Exporter,,,", None, "proof_of_origin_missing"),
    (f"{TODAY},export,HCFC-22,101,virgin,,,,,,LIC,UZ,", None, "insufficient_stock"),
    (f"{TODAY},export,HCFC-22,1,virgin,,,,,,,UZ,", None, "export_licence_missing"),
    (f"{TODAY},import,HCFC-22,1,virgin,,LIC,DECL,KZ,Exporter,,,", None, "origin_is_own_country"),
    (f"{TODAY},charge,HCFC-22,1,virgin,,,,,,,,", None, "equipment_required"),
    (f"{TODAY},reclamation,HCFC-22,1,,,,,,,,,", None, "insufficient_stock"),
])
def test_each_rule_refuses_in_a_csv_import_too(app, tmp_path, people, ban_2010, line, certificate, code):
    number = certify(people.kz_tech_record, (certificate,)).number if certificate else ""
    header = HEADER.strip() + ",buyer_certificate\n"
    rows = [IMPORT_LINE + ",", line + "," + number]
    result = run_import(app, tmp_path, people, header + "\n".join(rows) + "\n")
    assert result.exit_code == 1 and code in result.output, result.output
    assert stock(people.dealer) == 0


def test_a_sale_line_checks_the_buyers_certificate(app, tmp_path, people):
    valid = certify(people.kz_tech_record, ("A1",)).number
    leak_checker = certify(People().kz_tech_record, ("D",)).number
    header = HEADER.strip() + ",buyer_certificate\n"
    sale = f"{TODAY},sale,HCFC-22,10,virgin,,,,,,,,,"
    refused = run_import(app, tmp_path, people, header + IMPORT_LINE + ",\n" + sale + leak_checker + "\n", "a.csv")
    assert refused.exit_code == 1 and "line 3: buyer_certificate:" in refused.output
    assert "activity_not_certified" in refused.output
    allowed = run_import(app, tmp_path, people, header + IMPORT_LINE + ",\n" + sale + valid + "\n", "b.csv")
    assert allowed.exit_code == 0, allowed.output
    assert stock(people.dealer) == Decimal("90")
    assert db.session.scalar(sa.select(Entry).where(Entry.kind == "sale")).counterparty_logbook_id is not None


def test_used_cfc_policy_in_a_csv_import(app, tmp_path, people, ban_2010):
    from certreg.actors import Actor
    from certreg.logbook import settings

    settings.update_settings(Actor.system(), "KZ", used_ods_sales="none", leak_rate_threshold=None)
    number = certify(people.kz_tech_record, ("A1",)).number
    header = HEADER.strip() + ",buyer_certificate\n"
    rows = ["2009-06-01,import,CFC-12,10,recovered,,L,D,CN,E,,,,", f"{TODAY},sale,CFC-12,1,recovered,,,,,,,,,{number}"]
    refused = run_import(app, tmp_path, people, header + "\n".join(rows) + "\n", "cfc.csv")
    assert refused.exit_code == 1 and "used_ods_sale_not_allowed" in refused.output
    settings.update_settings(Actor.system(), "KZ", used_ods_sales="allowed", leak_rate_threshold=None)
    db.session.commit()
    allowed = run_import(app, tmp_path, people, header + "\n".join(rows) + "\n", "cfc2.csv")
    assert allowed.exit_code == 0, allowed.output


def test_header_and_encoding_errors(app, tmp_path, people):
    assert "bad_header" in run_import(app, tmp_path, people, "date,kind,weight\n").output
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "2026-01-01,import,HCFC-22,1,virgin,,L,D,CN,Société,,,\n").encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["logbook", "import", str(path), "--country", "KZ", "--company",
                                                people.dealer_company.registration_number])
    assert result.exit_code == 1 and "not_utf8" in result.output


@pytest.mark.live
def test_killing_the_import_half_way_leaves_nothing(tmp_path):
    """Acceptance 4: ``kill -9`` while lines are being written; the database holds none of them."""
    url = dbutil.fresh_database("kill")
    app = make_test_app(url)
    dbutil.upgrade(app)
    try:
        with app.app_context():
            people = People()
            registration = people.dealer_company.registration_number
            db.session.remove()
        lines = 30_000
        path = tmp_path / "big.csv"
        path.write_text(HEADER + csv_lines(lines, first_day=TODAY - timedelta(days=lines // 50 + 1)))
        env = {**os.environ, "FLASK_APP": "app", "CERTREG_CONFIG": "testing", "DATABASE_URL": url,
               "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "logbook", "import", str(path), "--country", "KZ",
             "--company", registration], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen += line
            if line.startswith("importing big.csv: ") and 10_000 <= int(line.split(": ")[1].split("/")[0]) < lines:
                break
            assert line or process.poll() is None, f"import ended before it was killed:\n{seen}"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL, seen
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 0
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0
            assert db.session.scalar(sa.select(sa.func.count()).select_from(MerkleLog)) == 0
            db.session.remove()
        small = tmp_path / "small.csv"
        small.write_text(HEADER + csv_lines(50))
        done = subprocess.run([sys.executable, "-m", "flask", "logbook", "import", str(small), "--country", "KZ",
                               "--company", registration], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 50
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


def test_lines_naming_licences_the_register_lacks_cost_no_statement_each(app, tmp_path, people):
    """The register's licence numbers are read once per file: 200 lines naming 200 numbers it does not have
    (licences not required in the country) read the ``licences`` table a fixed number of times, not per line
    (they read it once a line, and a line's licence again when it was not found: a 1,000,000-line file took
    ~20x its floor)."""
    from sqlalchemy import event

    lines = [f"{TODAY},import,HCFC-22,1,virgin,,LIC-{i},DECL-{i},CN,Example Chemical Co.,,,INV-{i}" for i in range(200)]
    lines += [f"{TODAY},export,HCFC-22,0.5,virgin,,,,,,KZ-EXP-{i},UZ,INV-E{i}" for i in range(20)]
    reads: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM licences" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = run_import(app, tmp_path, people, HEADER + "\n".join(lines) + "\n")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result.exit_code == 0, result.output
    assert "imported 220 entries" in result.output
    assert 1 <= len(reads) <= 2, reads


def test_serials_no_cylinder_has_become_unregistered_cylinders_of_the_importer(app, tmp_path, people):
    """The import flags the serials it meets that no cylinder of the country has, with its entries' chunks (by
    COPY on PostgreSQL): one unregistered cylinder each, held by the importing company, empty."""
    from certreg.cylinders.models import Cylinder, CylinderStatus

    result = run_import(app, tmp_path, people, HEADER + csv_lines(30))
    assert result.exit_code == 0, result.output
    flagged = db.session.scalars(sa.select(Cylinder).where(Cylinder.needs_registration)
                                 .order_by(Cylinder.stamp_number)).all()
    assert [c.stamp_number for c in flagged] == sorted(f"CYL-{i}-{side}" for i in (0, 7, 14, 21, 28)
                                                       for side in "AB")
    company = people.dealer_company
    assert {(c.country_code, c.custodian_company_id, c.custodian_technician_id, c.status, c.net_kg, c.fills,
             c.mixed, c.serial) for c in flagged} == {
        (company.country_code, company.id, None, CylinderStatus.IN_STOCK, Decimal("0.000"), 0, False, None)}
    assert all(c.created_at is not None and c.created_at.tzinfo is not None for c in flagged)
