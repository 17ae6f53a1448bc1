"""``flask licences ...``: the licence register from the command line (the same services as the pages and API)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.licences import services
from certreg.licences.services import LicenceData
from certreg.logbook.queries import licence_used_kg

licences_cli = AppGroup("licences", help="Import and export licences: issue, list, suspend, revoke.")


def _line(licence) -> str:
    used = licence_used_kg(licence)
    partners = ",".join(licence.partner_countries) or "any"
    return (f"{licence.number}\t{licence.direction.value}\t{licence.status.value}\t{','.join(licence.scope)}\t"
            f"{used:f}/{licence.cap_kg:f} kg\t{licence.valid_from.isoformat()}..{licence.valid_until.isoformat()}"
            f"\tpartners {partners}")


@licences_cli.command("issue")
@click.option("--country", required=True, help="Issuing country (ISO code)")
@click.option("--number", required=True)
@click.option("--company", "company_registration", required=True, help="The company's registration number")
@click.option("--direction", type=click.Choice(["import", "export"]), required=True)
@click.option("--scope", multiple=True, required=True, help="Substance code or control group (repeatable)")
@click.option("--cap-kg", required=True)
@click.option("--cap-odp-t")
@click.option("--cap-co2e-t")
@click.option("--valid-from", required=True, help="YYYY-MM-DD")
@click.option("--valid-until", required=True, help="YYYY-MM-DD")
@click.option("--authority", "issuing_authority", required=True, help="Issuing authority")
@click.option("--partner", "partner_countries", multiple=True, help="Partner country (repeatable; none: any)")
@click.option("--hs", "hs_codes", multiple=True, help="HS code (repeatable)")
def issue(country: str, **values) -> None:
    """Issue a licence to a company of the country."""
    data = LicenceData(**{**values, "scope": list(values["scope"]),
                          "partner_countries": list(values["partner_countries"]),
                          "hs_codes": list(values["hs_codes"])})
    try:
        licence = services.issue(Actor.system("cli"), country.upper(), data)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(_line(licence))


@licences_cli.command("list")
@click.option("--country", required=True)
def listing(country: str) -> None:
    """The country's licences: number, direction, status, scope, used/cap, validity, partners."""
    try:
        for licence in services.listing(Actor.system("cli"), country.upper()):
            click.echo(_line(licence))
    except CertregError as exc:
        fail(exc)


@licences_cli.command("status")
@click.argument("number")
@click.option("--country", required=True)
@click.option("--set", "status", type=click.Choice(["active", "suspended", "revoked", "expired"]), required=True)
@click.option("--reason", required=True)
def status(number: str, country: str, status: str, reason: str) -> None:
    """Suspend, revoke, reinstate or expire a licence (with its reason; audited)."""
    try:
        licence = services.change_status(Actor.system("cli"), services.get(None, country.upper(), number), status,
                                         reason)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(_line(licence))
