"""``flask countries ...``: per-country rule settings from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.commands import fail
from certreg.countries import services
from certreg.errors import CertregError
from certreg.extensions import db

countries_cli = AppGroup("countries", help="Per-country rules: ban dates, used-ODS policy, thresholds.")


@countries_cli.command("settings")
@click.argument("country_code")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="e.g. ban_A_I=2005-01-01 (empty value: the Protocol's date), used_ods_sales=reclaimed_only, "
                   "leak_rate_threshold=5 (empty: the server's setting), company_certificate_required=yes, "
                   "late_entry_days=30, approval_days=365, penalties_en=TEXT. Repeat for several.")
def settings(country_code: str, assignments: tuple[str, ...]) -> None:
    """Show a country's rule settings, after changing those given with --set."""
    changes: dict[str, str] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise click.BadParameter(f"{assignment!r}: write KEY=VALUE", param_hint="--set")
        changes[key.strip()] = value
    try:
        country = services.country(country_code)
        if changes:
            rules = services.update_settings(Actor.system(), country.code, changes)
            db.session.commit()
        else:
            rules = services.country_rules(country.code)
    except CertregError as exc:
        fail(exc)
    click.echo(f"country\t{rules.country_code}\nparty_group\t{rules.party_group.value}"
               f"{'' if rules.listed else ' (not listed: Article 5 dates)'}")
    for ban in rules.bans:
        source = "national" if ban.override else "protocol"
        click.echo(f"{ban.key}\t{ban.effective.isoformat()}\t{source}\t(protocol {ban.default.isoformat()})")
    click.echo(f"used_ods_sales\t{rules.used_ods_sales.value}")
    threshold = rules.leak_rate_threshold
    click.echo(f"leak_rate_threshold\t{threshold if threshold is not None else rules.default_leak_rate_threshold}"
               f"\t{'national' if threshold is not None else 'default'}")
    click.echo(f"company_certificate_required\t{'yes' if rules.company_certificate_required else 'no'}")
    click.echo(f"licences_required\t{'yes' if rules.licences_required else 'no'}")
    for key, value, default in (("late_entry_days", rules.late_entry_days, rules.default_late_entry_days),
                                ("approval_days", rules.approval_days, rules.default_approval_days)):
        source = "national" if value is not None else "default"
        click.echo(f"{key}\t{value if value is not None else default}\t{source}")
    for language, text in rules.penalties.items():
        click.echo(f"penalties_{language}\t{len(text)} characters")
