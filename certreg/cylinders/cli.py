"""``flask cylinders ...``: register one cylinder, import a fleet, print labels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.auth.cli import fail
from certreg.cylinders import fleet, labels, queries, registration
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
