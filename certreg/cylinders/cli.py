"""``flask cylinders ...``: register one cylinder, import a fleet, print labels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.cylinders import custody, fleet, labels, queries, registration, settings
from certreg.cylinders.events import FillData
from certreg.cylinders.models import ContentCondition, CylinderKind
from certreg.errors import CertregError, ValidationFailed
from certreg.extensions import db

cylinders_cli = AppGroup("cylinders", help="Cylinders: register, import a fleet, print labels.")


@cylinders_cli.command("register")
@click.option("--owner", "owner_company_id", type=int, required=True, help="Owner company record number")
@click.option("--kind", type=click.Choice([k.value for k in CylinderKind]), required=True)
@click.option("--capacity", type=Decimal, required=True, help="Water capacity, litres")
@click.option("--tare", type=Decimal, required=True, help="Tare, kg")
@click.option("--stamp", "stamp_number", help="Manufacturer's stamp number")
@click.option("--grai", help="Owner's GS1 GRAI")
@click.option("--substance", help="Contents: substance code")
@click.option("--net-kg", type=Decimal, help="Contents: net kg")
@click.option("--condition", type=click.Choice([c.value for c in ContentCondition]), default="virgin")
def register_command(owner_company_id: int, kind: str, capacity: Decimal, tare: Decimal, stamp_number: str | None,
                     grai: str | None, substance: str | None, net_kg: Decimal | None, condition: str) -> None:
    """Register one cylinder; prints its national serial."""
    contents = FillData(substance, net_kg or Decimal("0"), ContentCondition(condition)) if substance else None
    try:
        cylinder = registration.register(Actor.system(), registration.RegisterData(
            owner_company_id=owner_company_id, kind=CylinderKind(kind), water_capacity_l=capacity, tare_kg=tare,
            stamp_number=stamp_number, grai=grai, contents=contents))
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(cylinder.serial)


@cylinders_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path) -> None:
    """Register a fleet from a CSV file: all lines or none (see certreg/cylinders/fleet.py)."""
    try:
        done = fleet.import_csv(Actor.system(), path.read_text(encoding="utf-8-sig"))
    except ValidationFailed as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{len(done)} cylinder(s) registered")


@cylinders_cli.command("label")
@click.argument("serials", nargs=-1, required=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def label_command(serials: tuple[str, ...], output: Path) -> None:
    """Write the label PDF of one cylinder (100 × 70 mm), or an A4 sheet of several."""
    try:
        cylinders = [queries.find(Actor.system(), s) for s in serials]
    except CertregError as exc:
        fail(exc)
    data = labels.label_pdf(cylinders[0]) if len(cylinders) == 1 else labels.sheet_pdf(cylinders)
    output.write_bytes(data)
    click.echo(f"{output}: {len(cylinders)} label(s)")


@cylinders_cli.command("lost")
@click.argument("serial")
@click.option("--reference", required=True, help="Police report or other reference")
def lost_command(serial: str, reference: str) -> None:
    """Report a cylinder lost or stolen (closed; its label's status says so)."""
    try:
        cylinder = queries.find(Actor.system(), serial)
        custody.report_lost(Actor.system(), cylinder, note=reference)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{cylinder.serial}: reported lost or stolen")


@cylinders_cli.command("found")
@click.argument("serial")
@click.option("--reference", required=True, help="Police report, inspection or other reference")
def found_command(serial: str, reference: str) -> None:
    """Report a lost cylinder found (open again; its label's status is no longer suspended)."""
    try:
        cylinder = queries.find(Actor.system(), serial)
        custody.report_found(Actor.system(), cylinder, note=reference)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{cylinder.serial}: reported found, now {cylinder.status.value}")


@cylinders_cli.command("unregistered")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2")
def unregistered_command(country_code: str) -> None:
    """List the serials typed on logbook entries that name no registered cylinder (flagged for registration)."""
    for cylinder in queries.unregistered(Actor.system(), country_code.upper()):
        holder = cylinder.custodian_company or cylinder.custodian_technician
        click.echo(f"{cylinder.stamp_number}\t{holder.display_name if holder else ''}")


@cylinders_cli.command("ban-non-refillable")
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2")
@click.option("--from", "banned_from", type=click.DateTime(["%Y-%m-%d"]), help="First day of the ban")
@click.option("--lift", is_flag=True, help="Lift the ban")
def ban_non_refillable(country_code: str, banned_from, lift: bool) -> None:
    """Ban importing, filling and selling non-refillable cylinders in a country from a date (or lift it)."""
    if not lift and banned_from is None:
        raise click.UsageError("give --from DATE or --lift")
    try:
        settings.set_non_refillable_ban(Actor.system(), country_code, None if lift else banned_from.date())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{country_code.upper()}: non-refillable cylinders " + ("allowed" if lift else
                                                                        f"banned from {banned_from.date()}"))
