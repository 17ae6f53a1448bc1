"""``flask certificates ...``: reports and category maintenance for administrators' scripts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.certificates import catalogue, queries
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db

certificates_cli = AppGroup("certificates", help="Certificates: reports and categories.")


@certificates_cli.command("expire-report")
@click.option("--days", default=60, show_default=True, type=click.IntRange(0, 3660),
              help="Certificates whose last valid day is within this many days")
@click.option("--country", "country_code", help="Only this country (ISO 3166-1 alpha-2)")
def expire_report(days: int, country_code: str | None) -> None:
    """List active certificates that expire within N days: number, last valid day, holder, categories."""
    rows = queries.expiring(days, country_code.upper() if country_code else None)
    for cert in rows:
        click.echo(f"{cert.number}\t{cert.valid_until.isoformat()}\t{cert.holder_kind.value}\t"
                   f"{cert.holder_name}\t{','.join(cert.category_codes)}")
    click.echo(f"{len(rows)} certificate(s) expire within {days} days", err=True)


@certificates_cli.command("sync-categories")
def sync_categories() -> None:
    """Make the built-in categories match certreg/certificates/data/categories.csv."""
    try:
        changed = catalogue.sync_builtin_categories(Actor.system())
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"{len(changed)} categor{'y' if len(changed) == 1 else 'ies'} added or changed: {', '.join(changed)}")


@certificates_cli.group("categories")
def categories_cli() -> None:
    """Certificate categories (built-in and national scopes)."""


@categories_cli.command("list")
@click.option("--country", "country_code", help="Include this country's national scopes")
def list_categories(country_code: str | None) -> None:
    """Code, holder kind, activities, substance classes, English name."""
    for c in catalogue.active_categories(country_code=country_code.upper() if country_code else None,
                                        include_inactive=True):
        click.echo(f"{c.code}\t{c.holder_kind.value}\t{'|'.join(c.activities)}\t{'|'.join(c.substances)}\t"
                   f"{c.names.get('en', '')}{'' if c.is_active else ' (inactive)'}")


@categories_cli.command("add")
@click.option("--country", "country_code", required=True)
@click.option("--code", required=True, help="CC-..., at most 16 characters of A-Z 0-9 -")
@click.option("--name", "name_en", required=True, help="English name")
@click.option("--name-ru", "name_ru", required=True, help="Russian name")
@click.option("--activities", required=True, help="Comma-separated, e.g. recover,purchase")
@click.option("--substances", required=True, help="Comma-separated classes or families, e.g. cfc,hcfc")
@click.option("--holder-kind", default="technician", type=click.Choice(["technician", "company"]))
def add_category(country_code, code, name_en, name_ru, activities, substances, holder_kind) -> None:
    """Add a national scope of a country."""
    try:
        category = catalogue.create_national_scope(Actor.system(), catalogue.CategoryData(
            country_code=country_code, code=code, name_en=name_en, name_ru=name_ru,
            activities=activities.split(","), substances=substances.split(","), holder_kind=holder_kind))
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"added {category.code}")
