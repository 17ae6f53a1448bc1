"""Small factories with keyword overrides. They go through the services, like real users."""

from __future__ import annotations

import itertools
from datetime import date

from certreg.actors import Actor
from certreg.auth import services as auth
from certreg.auth.models import User
from certreg.extensions import db
from certreg.registry import services as registry
from certreg.registry.models import Company, Technician
from certreg.vocabulary import Role

SYSTEM = Actor.system("tests")
PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_company(**overrides) -> Company:
    n = next(_seq)
    data = dict(
        country_code="KG",
        legal_name=f"ОсОО «Тест {n}»",
        name_latin=f"Test {n} LLC",
        registration_number=f"REG-{n:06d}",
        address=f"Street {n}, Bishkek",
        activities=["service"],
        email=None,
        phone=None,
    )
    data.update(overrides)
    company = registry.create_company(SYSTEM, registry.CompanyData(**data))
    db.session.commit()
    return company


def make_technician(employer: Company | None = None, **overrides) -> Technician:
    n = next(_seq)
    data = dict(
        country_code=employer.country_code if employer else "KG",
        full_name=f"Тестов Тест {n}",
        full_name_latin=f"Testov Test {n}",
        national_id=f"NID{n:08d}",
        date_of_birth=date(1990, 1, 1),
        email=f"tech{n}@example.org",
        phone="+996 555 000 000",
        address="Bishkek",
    )
    data.update(overrides)
    technician = registry.create_technician(SYSTEM, registry.TechnicianData(**data))
    if employer is not None:
        registry.add_employment(SYSTEM, employer, national_id=technician.national_id, started_on=date(2020, 1, 1))
    db.session.commit()
    return technician


def make_user(role: Role | str = Role.ADMIN, country_code: str = "KG", *, company: Company | None = None,
              technician: Technician | None = None, email: str | None = None, password: str = PASSWORD,
              two_factor: bool | None = None) -> User:
    """A user; officials get two-step sign-in (TOTP) unless ``two_factor=False``."""
    role = Role(role)
    n = next(_seq)
    if role is Role.COMPANY_USER and company is None:
        company = make_company(country_code=country_code)
    if role is Role.TECHNICIAN and technician is None:
        technician = make_technician(country_code=country_code)
    user = auth.create_user(SYSTEM, auth.UserData(
        email=email or f"{role.value}{n}@{country_code.lower()}.example.org",
        display_name=f"{role.value} {n}",
        role=role.value,
        country_code=country_code,
        company_id=company.id if company else None,
        technician_id=technician.id if technician else None,
    ), password)
    db.session.commit()
    if two_factor if two_factor is not None else user.is_official:
        enrol(user)
    return user


def enrol(user: User) -> list[str]:
    """Turn on TOTP for ``user`` through the service; returns the recovery codes."""
    import pyotp

    from certreg.auth import twofactor

    secret = twofactor.new_secret()
    codes = twofactor.confirm_enrolment(Actor.of(user), user, secret, pyotp.TOTP(secret).now())
    user.totp_last_step = None  # tests sign in at once: let the current code work again
    db.session.commit()
    return codes


def totp_code(email: str) -> str:
    """A code that signs ``email`` in now. Test shortcut: the replay memory is cleared first, so
    the same user can sign in several times within one 30-second step."""
    import pyotp
    import sqlalchemy as sa

    user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    user.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(user.totp_secret).now()


def make_token(user: User) -> str:
    _token, plain = auth.create_api_token(Actor.of(user), user, "tests")
    db.session.commit()
    return plain


def token_id(plain: str) -> int:
    import sqlalchemy as sa

    from certreg.auth.models import ApiToken

    return db.session.scalar(sa.select(ApiToken.id).where(ApiToken.token_hash == auth.sha256_hex(plain)))


def ensure_keys(*countries: str) -> None:
    """Signing keys for the countries that have none yet (KG, KZ and UZ by default)."""
    from certreg.keys import services as keys

    keys.ensure(SYSTEM, list(countries or ("KG", "KZ", "UZ")))
    db.session.commit()


def make_certificate(holder: Technician | Company | None = None, *, categories: tuple[str, ...] | None = None,
                     valid_from: date | None = None, valid_until: date | None = None, actor: Actor = SYSTEM):
    """Issue a certificate (a new KG technician's, unless ``holder`` is given), with signing keys ensured."""
    from datetime import timedelta

    from certreg.certificates import lifecycle

    holder = holder if holder is not None else make_technician()
    ensure_keys(holder.country_code)
    kind = "company" if isinstance(holder, Company) else "technician"
    valid_from = valid_from or date.today() - timedelta(days=30)
    cert = lifecycle.issue(actor, lifecycle.IssueData(
        holder_kind=kind, holder_id=holder.id,
        categories=list(categories or (("CO-SERVICE",) if kind == "company" else ("A1",))),
        valid_from=valid_from, valid_until=valid_until or valid_from.replace(year=valid_from.year + 5),
    ))
    db.session.commit()
    return cert
