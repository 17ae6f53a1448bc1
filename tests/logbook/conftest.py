"""Logbook fixtures: holders, entry data with overrides, keys for checkpoints."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from certreg.actors import Actor
from certreg.extensions import db
from certreg.logbook import drafts, holders, queries, recording
from certreg.vocabulary import HolderKind, Role
from tests import factories

TODAY = date.today()


def entry_data(kind: str = "import", **overrides) -> drafts.EntryData:
    """A valid entry of ``kind`` (an HCFC-22 import with proof of origin unless overridden)."""
    data = dict(kind=kind, operation_date=TODAY, substance="HCFC-22", quantity=Decimal("100"), condition="virgin")
    if kind == "import":
        data.update(import_licence="UZ-IMP-2026-0042", customs_declaration="10702020/261126/0012345",
                    origin_country="CN", exporter_name="Zhejiang Example Chemical Co.")
    if kind == "export":
        data.update(export_licence="KZ-EXP-2026-7", destination_country="UZ")
    if kind == "purchase":
        data.update(counterparty_name="Market seller")
    data.update(overrides)
    return drafts.EntryData(**data)


class People:
    """A dealer company with its user, a technician with theirs, in KZ and KG."""

    def __init__(self) -> None:
        self.dealer_company = factories.make_company(country_code="KZ",
                                                     activities=["dealer", "importer", "exporter", "service"])
        self.dealer_user = factories.make_user(Role.COMPANY_USER, "KZ", company=self.dealer_company)
        self.dealer = holders.holder(HolderKind.COMPANY, self.dealer_company.id)
        self.tech_record = factories.make_technician(country_code="KG")
        self.tech_user = factories.make_user(Role.TECHNICIAN, "KG", technician=self.tech_record)
        self.technician = holders.holder(HolderKind.TECHNICIAN, self.tech_record.id)
        self.kz_tech_record = factories.make_technician(country_code="KZ")
        self.kz_technician = holders.holder(HolderKind.TECHNICIAN, self.kz_tech_record.id)
        self.kz_tech_user = factories.make_user(Role.TECHNICIAN, "KZ", technician=self.kz_tech_record)

    @property
    def dealer_actor(self) -> Actor:
        return Actor.of(self.dealer_user)

    @property
    def tech_actor(self) -> Actor:
        return Actor.of(self.tech_user)

    @property
    def kz_tech_actor(self) -> Actor:
        return Actor.of(self.kz_tech_user)


@pytest.fixture
def people() -> People:
    return People()


ANNEX_AB_BANS = ("ban_A_I", "ban_A_II", "ban_B_I", "ban_B_II", "ban_B_III")


def set_annex_ab_ban(country_code: str, day: date) -> None:
    """A national ban date for every Annex A and B group (as the administrator would set it)."""
    from certreg.countries import services as countries

    countries.update_settings(Actor.system(), country_code, {key: day for key in ANNEX_AB_BANS})


@pytest.fixture
def ban_2010():
    for code in ("KZ", "KG", "UZ"):
        set_annex_ab_ban(code, date(2010, 1, 1))
    db.session.commit()


@pytest.fixture
def keys_dir(app, tmp_path):
    """Signing keys for KG, KZ and UZ in a temporary directory."""
    from certreg.keys import services as keys

    old = app.config["SIGNING_KEYS_DIR"]
    app.config["SIGNING_KEYS_DIR"] = str(tmp_path / "keys")
    keys._private_cache.clear()
    keys.ensure(Actor.system("tests"), ["KG", "KZ", "UZ"])
    db.session.commit()
    yield tmp_path / "keys"
    app.config["SIGNING_KEYS_DIR"] = old
    keys._private_cache.clear()


def certify(record, categories=("A1",), **kwargs):
    """A valid certificate for a technician or company record (signing keys ensured)."""
    return factories.make_certificate(record, categories=categories, **kwargs)


def stock(who, substance="HCFC-22", condition="virgin") -> Decimal:
    from certreg.logbook.models import Condition

    return queries.stock_of(who, substance, Condition(condition))


def give_stock(people_or_holder, actor, kg="100", substance="HCFC-22", condition="virgin", **overrides):
    """Put stock into a holder's logbook: an import (a company) or a purchase (a technician)."""
    from certreg.vocabulary import HolderKind

    if people_or_holder.kind is HolderKind.TECHNICIAN:
        return recording.record_entry(actor, people_or_holder, entry_data(
            "purchase", substance=substance, quantity=Decimal(kg), condition=condition,
            counterparty_name="Registered dealer", **overrides))
    return recording.record_entry(actor, people_or_holder, entry_data(
        "import", substance=substance, quantity=Decimal(kg), condition=condition, **overrides))
