"""What every ``flask ...`` command shares: how a refusal is told at the command line."""

from __future__ import annotations

import sys

import click

from certreg.errors import CertregError, ValidationFailed, roll_back


def fail(exc: CertregError) -> None:
    roll_back(exc)
    click.echo(f"error: {exc.message} [{exc.code}]", err=True)
    if isinstance(exc, ValidationFailed):
        for field, messages in exc.fields.items():
            for message in messages:
                click.echo(f"  {field}: {message} [{getattr(message, 'code', 'invalid')}]", err=True)
    sys.exit(1)
