"""flask users ... and flask demo load."""

from __future__ import annotations

import sqlalchemy as sa

from certreg.auth.models import User
from certreg.demo.shipments import KHORGOS_DECLARATION
from certreg.extensions import db
from certreg.federation.models import FederationKey
from certreg.inspections.models import Inspection, PlaceKind
from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role
from tests.factories import make_company, make_technician


def test_users_create_with_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Officer@KZ.example.org", "--role",
                                 "certifying_officer", "--country", "kz", "--password-stdin"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "officer@kz.example.org"))
    assert user.role is Role.CERTIFYING_OFFICER and user.country_code == "KZ"


def test_users_create_company_user_by_registration_number(app):
    company = make_company(registration_number="REG-CLI")
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "c@kg.example.org", "--role", "company_user", "--country", "KG",
              "--company", "REG-CLI", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.company_id).where(User.email == "c@kg.example.org")) == company.id


def test_users_create_technician_by_national_id(app):
    technician = make_technician(national_id="NID-CLI")
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "t@kg.example.org", "--role", "technician", "--country", "KG",
              "--technician", "NID-CLI", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(User.technician_id).where(User.email == "t@kg.example.org")) == technician.id


def test_users_create_refuses_bad_input_with_a_message_and_writes_nothing(app):
    runner = app.test_cli_runner()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    cases = [
        (["--email", "x@kg.example.org", "--role", "admin", "--country", "XX"], "unknown_country"),
        (["--email", "x@kg.example.org", "--role", "company_user", "--country", "KG", "--company", "NOPE"],
         "unknown_company"),
        (["--email", "not-an-email", "--role", "admin", "--country", "KG"], "invalid_email"),
    ]
    for args, code in cases:
        result = runner.invoke(args=["users", "create", *args, "--password-stdin"], input="a long enough password\n")
        assert result.exit_code == 1 and code in result.output, result.output
    short = runner.invoke(args=["users", "create", "--email", "y@kg.example.org", "--role", "admin", "--country",
                                "KG", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "too_short" in short.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_users_token_prints_a_working_token(app, api):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "--email", "a@kg.example.org", "--role", "auditor", "--country", "KG",
                        "--password-stdin"], input="a long enough password\n")
    result = runner.invoke(args=["users", "token", "a@kg.example.org", "--name", "nightly export"])
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("crt_")
    assert api.get("/me", token=token).json["email"] == "a@kg.example.org"
    assert runner.invoke(args=["users", "token", "nobody@kg.example.org"]).exit_code == 1


def test_demo_load_is_idempotent_and_covers_three_countries(app, monkeypatch):
    # with the server's default limits for late entries (the tests' own config lifts them)
    monkeypatch.setitem(app.config, "LOGBOOK_LATE_ENTRY_DAYS", 30)
    monkeypatch.setitem(app.config, "LOGBOOK_APPROVAL_DAYS", 365)
    # and scans written behind, as `make run` serves (its demo load once waited on its own SQLite lock)
    monkeypatch.setitem(app.config, "VERIFY_LOG_FLUSH_SECONDS", 0.5)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Company, Technician)]
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "(0 new records)" in second.output
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (User, Company, Technician)] == counts
    countries = set(db.session.scalars(sa.select(User.country_code).distinct()))
    assert {"KG", "KZ", "UZ"} <= countries
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FederationKey)) == 1  # its fingerprint to share
    border = db.session.scalar(sa.select(Inspection).where(Inspection.place_kind == PlaceKind.BORDER_POST))
    assert border.shipment is not None  # the border inspection names the recorded shipment it stopped
    assert (border.shipment.declaration_number, border.shipment.country_code) == (KHORGOS_DECLARATION, "KZ")
    logins = runner.invoke(args=["demo", "logins"]).output
    assert "admin@kg.example.org" in logins and "demo-password-2026" in logins
