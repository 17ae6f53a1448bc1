"""``flask keys ...``: the issuing authorities' signing keys."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.keys import services

keys_cli = AppGroup("keys", help="Signing keys (ES256) of the issuing authorities.")


@keys_cli.command("generate")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code")
def generate(country_code: str) -> None:
    """Create a country's first signing key (the private key goes to SIGNING_KEYS_DIR)."""
    try:
        key = services.generate(Actor.system(), country_code.upper())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{key.country_code}\t{key.kid}\t{services.key_path(key.country_code, key.kid)}")


@keys_cli.command("rotate")
@click.option("--country", "country_code", required=True)
def rotate(country_code: str) -> None:
    """Retire the country's active key and create a new one."""
    try:
        key = services.rotate(Actor.system(), country_code.upper())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{key.country_code}\t{key.kid}\tactive")


@keys_cli.command("list")
@click.option("--country", "country_code")
def list_keys(country_code: str | None) -> None:
    """List keys: country, kid, status, created, private key file present."""
    for key in services.list_keys(country_code):
        present = services.key_path(key.country_code, key.kid).exists()
        click.echo(f"{key.country_code}\t{key.kid}\t{key.status.value}\t{key.created_at:%Y-%m-%d}\t"
                   f"{'private key present' if present else 'no private key here'}")


@keys_cli.command("ensure")
@click.option("--country", "country_codes", multiple=True, required=True)
def ensure(country_codes: tuple[str, ...]) -> None:
    """Generate keys for the listed countries that have none (idempotent; used by `make run`)."""
    try:
        created = services.ensure(Actor.system(), [c.upper() for c in country_codes])
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    for key in created:
        click.echo(f"generated {key.country_code}\t{key.kid}")
