"""``flask notify send``: queue the notices that are due and send the outbox (run it from cron)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.extensions import db
from certreg.notices import collect
from certreg.notify import outbox

notify_cli = AppGroup("notify", help="E-mail notices.")


@notify_cli.command("send")
@click.option("--no-collect", is_flag=True, help="Only send what is queued; look for no new notices")
def send(no_collect: bool) -> None:
    """Queue due notices, then send every unsent one. Safe to run often: nobody gets a notice twice.

    Exits with status 1 when the mail server cannot be used (the notices wait for the next run)
    or some notices were refused (kept, with their error, for the next run).
    """
    queued = 0
    if not no_collect:
        queued = collect.collect()
        db.session.commit()
    report = outbox.send_pending(Actor.system(), db.session.commit)
    click.echo(f"{queued} notice(s) queued, {report.sent} sent, {report.failed} refused")
    for error in report.errors:
        click.echo(f"refused: {error}", err=True)
    if report.unavailable:
        click.echo(f"error: mail server unavailable, nothing sent; the notices wait for the next run: "
                   f"{report.unavailable}", err=True)
        sys.exit(1)
    if report.failed:
        sys.exit(1)
