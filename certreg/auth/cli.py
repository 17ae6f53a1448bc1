"""``flask users ...``: accounts and API tokens from the command line."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from certreg.actors import Actor
from certreg.auth import services, twofactor
from certreg.auth.forms import NewUserForm
from certreg.auth.models import User
from certreg.commands import fail
from certreg.errors import CertregError
from certreg.extensions import db
from certreg.forms import form_from_json
from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role

users_cli = AppGroup("users", help="Manage user accounts and API tokens.")


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--country", "country_code", required=True, help="ISO 3166-1 alpha-2 code, e.g. KG")
@click.option("--name", "display_name", help="Display name (defaults to the e-mail)")
@click.option("--company", "company_reg", help="Registration number of the company (for company users)")
@click.option("--technician", "technician_nid", help="National ID number of the technician (for technicians)")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
def create_user(email, role, country_code, display_name, company_reg, technician_nid, password_stdin):
    """Create an account. The password is asked for, or read from stdin."""
    country_code = country_code.upper()
    company_id = technician_id = None
    if company_reg:
        company_id = db.session.scalar(
            sa.select(Company.id).where(Company.country_code == country_code,
                                        Company.registration_number == company_reg)
        ) or -1
    if technician_nid:
        technician_id = db.session.scalar(
            sa.select(Technician.id).where(Technician.country_code == country_code,
                                           Technician.national_id == technician_nid)
        ) or -1
    password = read_password(password_stdin)
    try:
        # The same form as the administrators' page checks the syntax.
        form = form_from_json(NewUserForm, {
            "email": email, "display_name": display_name or email, "role": role, "country_code": country_code,
            "company_id": company_id, "technician_id": technician_id, "is_active": True, "password": password,
        })
        data = services.UserData(
            email=form.email.data, display_name=form.display_name.data, role=form.role.data,
            country_code=form.country_code.data, company_id=company_id, technician_id=technician_id,
        )
        user = services.create_user(Actor.system(), data, password)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"created {user.email} ({user.role.value}, {user.country_code})")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="CLI", help="What the token is for")
@click.option("--read-only", is_flag=True, help="The token may only read (GET)")
def create_token(email, name, read_only):
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    try:
        user = services.get_user_by_email(email)
        system = Actor(user=user, label=Actor.system().label, is_system=True)
        _token, plain = services.create_api_token(system, user, name, read_only=read_only)
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(plain)


@users_cli.command("list")
@click.option("--country", "country_code", help="Only this country")
def list_users(country_code):
    """List accounts: e-mail, role, country, active."""
    query = sa.select(User).order_by(User.country_code, User.email)
    if country_code:
        query = query.where(User.country_code == country_code.upper())
    for user in db.session.scalars(query):
        state = "active" if user.is_active else "inactive"
        click.echo(f"{user.email}\t{user.role.value}\t{user.country_code}\t{state}")


@users_cli.command("reset-2fa")
@click.argument("email")
def reset_two_factor(email):
    """Remove EMAIL's second factor (a lost phone): they set it up again at their next sign-in."""
    try:
        twofactor.reset(Actor.system(), services.get_user_by_email(email))
    except CertregError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"two-step sign-in removed for {email}; every session ended")
