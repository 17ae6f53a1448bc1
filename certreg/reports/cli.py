"""``flask reports ...``: Article 7 files, the anomaly list, and the nightly tamper check."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.db import today as utc_today
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.logbook.models import MerkleLog
from certreg.reports import exports, services, texts
from certreg.reports.figures import Period
from certreg.reports.models import AnomalyKind, ReviewState

reports_cli = AppGroup("reports", help="Reports: Article 7 data, anomalies, tamper checks.")


def _write(chunks, output: Path | None, binary: bool) -> None:
    if output is None:
        stream = sys.stdout.buffer if binary else sys.stdout
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    opened = output.open("wb") if binary else output.open("w", encoding="utf-8", newline="")
    with opened as fh:
        for chunk in chunks:
            fh.write(chunk)


@reports_cli.command("article7")
@click.option("--country", required=True, help="ISO code, e.g. KZ")
@click.option("--year", required=True, type=click.IntRange(1987, 2100))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout)")
def article7(country: str, year: int, fmt: str, output: Path | None) -> None:
    """The Article 7 data of COUNTRY for YEAR, per substance, in metric, ODP and CO2-eq tonnes."""
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("an XLSX file is binary: give --output FILE (or redirect stdout)")
    try:
        report = services.article7(Actor.system(), country.upper(), Period.year(year))
        partners = services.by_partner_country(Actor.system(), country.upper(), report.period)
    except CertregError as exc:
        fail(exc)
    if fmt == "csv":
        _write(exports.csv_lines(exports.article7_header(), exports.article7_rows(report)), output, binary=False)
    elif fmt == "xlsx":
        _write(exports.xlsx_chunks(exports.article7_sheets(report, texts.notes(), partners)), output, binary=True)
    else:
        document = {"year": year, **exports.article7_json(report, texts.notes(), partners)}
        _write([json.dumps(document, ensure_ascii=False, indent=2), "\n"], output, binary=False)
    if output is not None:
        click.echo(f"wrote {output} ({len(report.rows)} substances)", err=True)


@reports_cli.command("anomalies")
@click.option("--country", required=True, help="ISO code, e.g. KZ")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="Default: 1 January of this year")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="Default: today")
@click.option("--kind", type=click.Choice([k.value for k in AnomalyKind]), multiple=True)
@click.option("--state", type=click.Choice([s.value for s in ReviewState]), default="open", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "xlsx"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
def anomalies(country: str, date_from, date_to, kind, state: str, fmt: str, output: Path | None) -> None:
    """The anomalies of COUNTRY for a period, ranked by score."""
    today = utc_today()
    period = Period(date_from.date() if date_from else date(today.year, 1, 1), date_to.date() if date_to else today)
    try:
        found = services.anomalies(Actor.system(), country.upper(), period,
                                   kinds=[AnomalyKind(k) for k in kind] or None, state=ReviewState(state))
    except CertregError as exc:
        fail(exc)
    if fmt == "csv":
        _write(exports.csv_lines(exports.ANOMALY_FIELDS, exports.anomaly_rows(found)), output, binary=False)
    elif fmt == "xlsx":
        _write(exports.xlsx_chunks([("anomalies", exports.ANOMALY_FIELDS, exports.anomaly_rows(found))]), output,
               binary=True)
    else:
        lines = [f"{country.upper()} {period}: {len(found)} anomaly(-ies)"]
        for rank, a in enumerate(found, 1):
            who = a.holder.name if a.holder else "(the country's log)"
            lines.append(f"{rank:>3}. [{a.score}] {a.kind.value} — {who}: {texts.describe(a)}")
        _write(["\n".join(lines), "\n"], output, binary=False)


@reports_cli.command("check-logs")
@click.option("--country", "countries", multiple=True, help="Only these countries (default: every country with a log)")
def check_logs(countries: tuple[str, ...]) -> None:
    """Run the tamper check over the logs and keep the results for the anomaly list (schedule it nightly).

    Exits 1 if any log has a problem.
    """

    codes = [c.upper() for c in countries] or list(db.session.scalars(
        db.select(MerkleLog.country_code).order_by(MerkleLog.country_code)))
    failed = False
    for code in codes:
        try:
            check = services.run_log_check(Actor.system(), code)
        except CertregError as exc:
            fail(exc)
        db.session.commit()
        if check.ok:
            click.echo(f"{code}: OK, {check.entries} entries")
        else:
            failed = True
            click.echo(f"{code}: {len(check.report['problems'])} problem(s) in {check.entries} entries "
                       f"(see the anomaly list)")
    if not codes:
        click.echo("no logs yet")
    sys.exit(1 if failed else 0)
