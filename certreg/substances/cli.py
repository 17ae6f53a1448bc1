"""``flask substances ...``: the controlled-substance catalogue."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.substances import services

substances_cli = AppGroup("substances", help="The Montreal Protocol substance catalogue.")


@substances_cli.command("load")
def load() -> None:
    """Bring the database in step with certreg/substances/data/*.csv (idempotent)."""
    try:
        result = services.load_catalogue(Actor.system())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"substances: {result.created} new, {result.updated} updated, {result.unchanged} unchanged")
    for code in result.not_in_files:
        click.echo(f"warning: {code} is in the database but no longer in the data files (kept)", err=True)


@substances_cli.command("search")
@click.argument("text")
def search(text: str) -> None:
    """Find substances by any name: code, ASHRAE number, trade name, formula, CAS number."""
    for s in services.search(text):
        click.echo(f"{s.code}\t{s.ashrae or ''}\t{s.annexes or '-'}\tODP {s.odp.normalize():f}\t"
                   f"GWP {'' if s.gwp is None else f'{s.gwp.normalize():f}'}\t{s.name}")
