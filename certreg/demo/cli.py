"""``flask demo load``: realistic demo data (invented people and numbers) for three countries."""

from __future__ import annotations

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup

from certreg.demo import data
from certreg.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing if any account exists already")
def load(if_empty: bool) -> None:
    """Fill demo data. Safe to run again: what exists is left as it is."""
    if if_empty and data.has_users():
        click.echo("database not empty: demo data not loaded")
        return
    # One transaction: the demo's scans and their rate-limit counts go into it. Written behind, they would
    # take other connections, which on SQLite wait for this transaction's write lock until they fail.
    current_app.config["VERIFY_LOG_FLUSH_SECONDS"] = 0
    created = data.load_all()
    db.session.commit()
    click.echo(f"demo data loaded ({created} new records)")


@demo_cli.command("logins")
def logins() -> None:
    """Print the demo accounts and their password."""
    click.echo(data.logins_text())


@demo_cli.command("code")
@click.argument("email")
def code(email: str) -> None:
    """Print the current sign-in code of a demo official (their TOTP key is published)."""
    click.echo(pyotp.TOTP(data.demo_totp_secret(email.strip().lower())).now())
