"""``flask registry ...``: registry administration from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.registry import services
from certreg.registry.models import AuthorityKind

registry_cli = AppGroup("registry", help="Countries and issuing authorities.")


@registry_cli.command("add-authority")
@click.option("--country", "country_code", required=True)
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice([k.value for k in AuthorityKind]), default="certification_body")
@click.option("--address")
def add_authority(country_code: str, name: str, kind: str, address: str | None) -> None:
    """Appoint an issuing authority (a certification body) in a country."""
    try:
        authority = services.add_authority(Actor.system(), country_code.upper(), name=name, kind=kind,
                                           address=address)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{authority.id}\t{authority.country_code}\t{authority.name}")


@registry_cli.command("authorities")
@click.option("--country", "country_code", required=True)
def authorities(country_code: str) -> None:
    """List a country's issuing authorities: id, kind, name."""
    for authority in services.list_authorities(country_code.upper()):
        click.echo(f"{authority.id}\t{authority.kind.value}\t{authority.name}")
