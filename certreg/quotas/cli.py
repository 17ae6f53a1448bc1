"""``flask quotas ...``: baselines, allocations, transfers and the quota overview (the same services as the pages
and API)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.quotas import services

quotas_cli = AppGroup("quotas", help="National consumption limits and importers' quotas.")


@quotas_cli.command("baseline")
@click.option("--country", required=True)
@click.option("--group", required=True, help="Control group: A/I ... E/I, or F for HFCs")
@click.option("--baseline", required=True, help="In ODP tonnes (CO2-eq tonnes for F)")
@click.option("--source", required=True, help="Where the figure comes from")
def baseline(country: str, group: str, baseline: str, source: str) -> None:
    """Enter (or correct) the country's baseline for a control group."""
    try:
        row = services.set_baseline(Actor.system("cli"), country.upper(), group, baseline, source)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(f"{row.country_code} {row.control_group}: baseline {row.baseline.normalize():f} {row.unit}")


@quotas_cli.command("allocate")
@click.option("--country", required=True)
@click.option("--year", required=True, type=int)
@click.option("--group", required=True)
@click.option("--company", required=True, help="The importer's registration number")
@click.option("--amount", required=True, help="In ODP tonnes (CO2-eq tonnes for F)")
@click.option("--reason")
def allocate(country: str, year: int, group: str, company: str, amount: str, reason: str | None) -> None:
    """Allocate quota to an importer for a year, within the national limit."""
    try:
        line = services.allocate(Actor.system("cli"), country.upper(), year, group, company, amount, reason)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(f"allocated {line.amount.normalize():f} {line.unit} of {line.control_group} for {line.year} "
               f"to {company} (log position {line.seq})")


@quotas_cli.command("transfer")
@click.option("--country", required=True)
@click.option("--year", required=True, type=int)
@click.option("--group", required=True)
@click.option("--from", "giver", required=True, help="Registration number of the importer giving quota")
@click.option("--to", "receiver", required=True, help="Registration number of the importer receiving it")
@click.option("--amount", required=True)
@click.option("--reason")
def transfer(country: str, year: int, group: str, giver: str, receiver: str, amount: str,
             reason: str | None) -> None:
    """Move quota from one importer to another."""
    try:
        _out, line = services.transfer(Actor.system("cli"), country.upper(), year, group, giver, receiver, amount,
                                       reason)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(f"moved {line.amount.normalize():f} {line.unit} of {line.control_group} for {line.year} "
               f"from {giver} to {receiver}")


def _num(value) -> str:
    return "-" if value is None else f"{value.normalize():f}"


@quotas_cli.command("show")
@click.option("--country", required=True)
@click.option("--year", type=int)
def show(country: str, year: int | None) -> None:
    """Each group's limit, allocated, used and remaining, then per importer."""
    try:
        groups = services.overview(Actor.system("cli"), country.upper(), year)
    except CertregError as exc:
        fail(exc)
    for group in groups:
        click.echo(f"{group.group}\t{group.unit}\tlimit {_num(group.limit)}\tallocated {_num(group.allocated)}\t"
                   f"used {_num(group.used)} ({group.used_kg:f} kg)\tremaining {_num(group.remaining)}")
        for account in group.importers:
            click.echo(f"  {account.registration}\t{account.name}\tallocated {_num(account.allocated)}\t"
                       f"used {_num(account.used)} ({account.used_kg:f} kg)\tremaining {_num(account.remaining)}")
