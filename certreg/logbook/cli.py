"""``flask logbook ...``: import paper logbooks, verify the logs, sign checkpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError, roll_back
from certreg.extensions import db
from certreg.logbook import checkpointing, holders, imports, verify
from certreg.logbook.models import MerkleLog
from certreg.registry.models import Company, Technician
from certreg.vocabulary import HolderKind

logbook_cli = AppGroup("logbook", help="Logbooks: import, verify, checkpoints.")


class Progress:
    """A progress bar on a terminal; elsewhere (logs, pipes) a line every 5 %."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.done, self.next_report = max(total, 1), label, 0, 0
        self.bar = None
        if sys.stderr.isatty():
            self.bar = click.progressbar(length=self.total, label=label, file=sys.stderr)
            self.bar.__enter__()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.done >= self.next_report:
            click.echo(f"{self.label}: {min(self.done, self.total)}/{self.total} lines", err=True)
            self.next_report = self.done + max(self.total // 20, 1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _holder(country: str, company: str | None, technician: str | None) -> holders.Holder:
    country = country.upper()
    if bool(company) == bool(technician):
        raise click.UsageError("give either --company REGISTRATION_NUMBER or --technician NATIONAL_ID")
    if company:
        record = db.session.scalar(sa.select(Company).where(Company.country_code == country,
                                                            Company.registration_number == company))
        kind = HolderKind.COMPANY
    else:
        record = db.session.scalar(sa.select(Technician).where(Technician.country_code == country,
                                                               Technician.national_id == technician))
        kind = HolderKind.TECHNICIAN
    if record is None:
        raise click.UsageError(f"no such {kind.value} registered in {country}")
    return holders.holder(kind, record.id)


@logbook_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--country", required=True, help="Country of the holder (ISO code)")
@click.option("--company", help="Registration number of the company whose logbook this is")
@click.option("--technician", help="National ID number of the technician whose logbook this is")
def import_file(file: Path, country: str, company: str | None, technician: str | None) -> None:
    """Import a paper logbook from FILE.csv: every line or none (see docs/logbook.md for the format)."""
    who = _holder(country, company, technician)
    data = file.read_bytes()
    progress = Progress(imports.count_lines(data), f"importing {file.name}")
    try:
        result = imports.import_csv(Actor.system(), who, data, file.name, progress=progress)
    except CertregError as exc:
        progress.close()
        fail(exc)
    progress.close()
    if not result.ok:
        roll_back(imports.ImportRefused(result))
        for error in result.errors:
            click.echo(error.describe(), err=True)
        more = " (stopped counting)" if len(result.errors) >= imports.MAX_ERRORS else ""
        click.echo(f"error: nothing imported: {len(result.errors)} bad line(s){more} of {result.lines}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"imported {result.entries} entries from {file.name} into the logbook of {who.name} "
               f"(import #{result.batch_id})")


@logbook_cli.command("verify")
@click.option("--country", help="Only this country's log")
@click.option("--jwks", type=click.File("r"), help="Trust list (JWKS) to check checkpoint signatures against")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON")
def verify_logs(country: str | None, jwks, as_json: bool) -> None:
    """Recompute every log from its entries; exit 1 naming the first bad entry if anything was tampered with."""
    resolve = verify.key_resolver(json.load(jwks) if jwks else None)
    reports = verify.verify_all(resolve=resolve, country_code=country)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in reports], indent=2))
    for report in reports:
        if as_json:
            break
        if report.ok:
            click.echo(f"{report.country_code}: OK, {report.entries} entries, {report.checkpoints} signed "
                       f"checkpoint(s), root {report.root_hash.hex()}")
        else:
            first = report.first_bad_entry
            where = (f"first bad entry: seq {first.seq}" + (f" (entry id {first.entry_id})" if first.entry_id else "")
                     + f": {first.code}") if first else "see below"
            click.echo(f"{report.country_code}: FAILED, {report.entries} entries; {where}")
            for problem in report.problems[:100]:
                click.echo(f"  {problem.describe()}")
            if len(report.problems) > 100:
                click.echo(f"  ... and {len(report.problems) - 100} more")
        for note in report.notes:
            click.echo(f"  note: {note}")
    if not reports and not as_json:
        click.echo("no logbook entries yet")
    if any(not r.ok for r in reports):
        sys.exit(1)


@logbook_cli.command("checkpoint")
@click.option("--country", "countries", multiple=True, help="Country (repeatable); default: every log")
def checkpoint(countries: tuple[str, ...]) -> None:
    """Sign a checkpoint of each log now (run it from cron as well as on the automatic schedule)."""
    codes = [c.upper() for c in countries] or list(db.session.scalars(sa.select(MerkleLog.country_code)))
    for code in codes:
        try:
            signed = checkpointing.create_checkpoint(Actor.system(), code)
        except CertregError as exc:
            fail(exc)
        db.session.commit()
        click.echo(f"{code}\tsize {signed.tree_size}\t#{signed.id}")
