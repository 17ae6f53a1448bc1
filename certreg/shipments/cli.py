"""``flask shipments ...``: expected shipments, the border check, decisions and iPIC questions from the command line
(the same services as the pages and API)."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.logbook.models import Channel
from certreg.shipments import border, expected, ipic
from certreg.shipments.expected import ShipmentData

shipments_cli = AppGroup("shipments", help="Shipments at the border and iPIC: expect, check, decide, ask.")
SYSTEM = Actor.system("cli")


def _line(shipment) -> str:
    return (f"{shipment.id}\t{shipment.declaration_number}\t{shipment.status.value}\t{shipment.goods.value}\t"
            f"{shipment.hs_code}\t{shipment.kg:f} kg {shipment.substance_code}\t{shipment.exporting_country}->"
            f"{shipment.country_code}\t{shipment.border_post}\t{shipment.expected_on.isoformat()}")


def _get(shipment_id: int):
    try:
        return expected.get(SYSTEM, shipment_id)
    except CertregError as exc:
        fail(exc)


@shipments_cli.command("expect")
@click.option("--country", required=True, help="Importing country (ISO code)")
@click.option("--declaration", "declaration_number", required=True, help="Customs declaration number")
@click.option("--importer", "importer_registration", required=True, help="The importer's registration number")
@click.option("--goods", type=click.Choice(["substance", "equipment", "extinguisher"]), default="substance")
@click.option("--description", "product_description", help="Equipment or extinguishers: what they are")
@click.option("--units", help="Equipment or extinguishers: pieces")
@click.option("--hs", "hs_code", required=True, help="HS code as declared, e.g. 2903.71")
@click.option("--substance", required=True)
@click.option("--kg", required=True, help="Kilograms of substance (contained, for equipment)")
@click.option("--cylinders", "cylinder_count", default=0, type=int, help="Number of cylinders")
@click.option("--serial", "cylinder_serials", multiple=True, help="Cylinder serial (repeatable)")
@click.option("--licence", "import_licence", required=True, help="Import licence number")
@click.option("--exporter", "exporter_name", required=True)
@click.option("--exporting-country", required=True)
@click.option("--origin-country", required=True)
@click.option("--transport", "transport_mode", type=click.Choice(["road", "rail", "sea", "air", "post"]),
              required=True)
@click.option("--border-post", required=True)
@click.option("--expected-on", required=True, help="YYYY-MM-DD")
def expect(country: str, **values) -> None:
    """Record a shipment expected at the border."""
    data = ShipmentData(**{**values, "cylinder_serials": list(values["cylinder_serials"])})
    try:
        shipment = expected.record(SYSTEM, country.upper(), data)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(_line(shipment))


@shipments_cli.command("list")
@click.option("--country", required=True)
def list_shipments(country: str) -> None:
    """The country's shipments, latest expected first."""
    for shipment in expected.listing(SYSTEM, country.upper()):
        click.echo(_line(shipment))


@shipments_cli.command("check")
@click.argument("shipment_id", type=int)
def check(shipment_id: int) -> None:
    """The border check, rule by rule (exit status 1 when a rule refuses)."""
    result = border.border_check(SYSTEM, _get(shipment_id).id)
    for rule in result.results:
        mark = {True: "ok", False: "REFUSED", None: "-"}[rule.ok]
        click.echo(f"{rule.rule.value}\t{mark}\t{rule.code}\t{rule.message}")
    click.echo(f"suggestion\t{result.suggestion.value}")
    if not result.passed:
        raise SystemExit(1)


@shipments_cli.command("decide")
@click.argument("shipment_id", type=int)
@click.option("--decision", type=click.Choice(["released", "held", "refused", "seized"]), required=True)
@click.option("--reason")
def decide(shipment_id: int, decision: str, reason: str | None) -> None:
    """Record customs' decision (a release records the import entry)."""
    try:
        shipment = border.decide(SYSTEM, _get(shipment_id), decision, reason, channel=Channel.CLI)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(_line(shipment))


@shipments_cli.command("ipic-ask")
@click.option("--from", "asking", required=True, help="The asking (exporting) country")
@click.option("--to", "answering", required=True, help="The answering (importing) country")
@click.option("--importer", required=True, help="The importer's registration number in the importing country")
@click.option("--substance", required=True)
@click.option("--kg", required=True)
@click.option("--year")
def ipic_ask(asking: str, answering: str, importer: str, substance: str, kg: str, year: str | None) -> None:
    """Ask whether an importer is licensed (iPIC); prints the answer and both signed documents."""
    try:
        row = ipic.ask(SYSTEM, asking.upper(), answering.upper(), importer, substance, kg, year)
        db.session.commit()
    except CertregError as exc:
        fail(exc)
    click.echo(json.dumps({"answer": row.answer.value, "licence": row.licence_number,
                           "remaining_kg": f"{row.remaining_kg:f}" if row.remaining_kg is not None else None,
                           "question": row.question_token, "answer_document": row.answer_token}, indent=2))


@shipments_cli.command("licensees")
@click.option("--country", required=True)
def licensees(country: str) -> None:
    """The country's signed list of licensed importers and exporters (JSON)."""
    try:
        click.echo(json.dumps(ipic.licensees_document(country.upper()), indent=2, ensure_ascii=False))
    except CertregError as exc:
        fail(exc)
