"""``flask focalpoints import FILE.csv``: add or change directory entries, all lines or none."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.focalpoints import services

focalpoints_cli = AppGroup("focalpoints", help="The focal point directory (ozone units, customs, border posts).")


@focalpoints_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_file(path: str) -> None:
    """Import FILE.csv (columns: country, kind, code, name, post, contact_name, languages, phone, email, hours,
    neighbour_country). Nothing is imported if any line is refused; each refused line is listed."""
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    try:
        count = services.import_csv(Actor.system(), text)
    except CertregError as exc:
        db.session.rollback()
        for line, errors in getattr(exc, "fields", {}).items():
            for error in errors:
                click.echo(f"{line}: {error}", err=True)
        fail(exc)
    db.session.commit()
    click.echo(f"Imported {count} focal points.")
