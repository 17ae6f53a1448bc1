"""``flask privacy purge``: enforce the retention settings (run it daily from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.extensions import db
from certreg.privacy import services

privacy_cli = AppGroup("privacy", help="Personal data: retention.")


@privacy_cli.command("purge")
def purge() -> None:
    """Delete sign-in history, scan logs, access logs, ended sessions and sent e-mails past their retention."""
    deleted = services.purge(Actor.system())
    db.session.commit()
    click.echo(", ".join(f"{kind}: {n} deleted" for kind, n in deleted.items()))
