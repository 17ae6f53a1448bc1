"""Migration 0004: the schema equals the models, the catalogue is loaded, records are append-only."""

from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certreg.extensions import db
from certreg.substances.catalogue import default_catalogue
from certreg.substances.models import Substance, SubstanceComponent


def test_upgraded_database_has_exactly_the_models_tables():


    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = [d for d in compare_metadata(context, db.metadata)
            if not (d[0] == "remove_table" and d[1].name.startswith("pg_"))]
    assert diff == []


def test_catalogue_is_loaded_with_exact_figures():
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Substance)) == len(default_catalogue())
    r502 = db.session.get(Substance, "R-502")
    parts = {c.component_code: c.mass_fraction for c in r502.components}
    assert parts == {"HCFC-22": Decimal("0.488"), "CFC-115": Decimal("0.512")}
    assert r502.annex is None and r502.annexes == "A,C" and r502.is_blend
    pure = db.session.scalars(sa.select(SubstanceComponent).where(SubstanceComponent.substance_code == "CFC-12")).one()
    assert pure.component_code == "CFC-12" and pure.mass_fraction == 1


