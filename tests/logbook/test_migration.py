"""Migration 0004: the schema equals the models, the catalogue is loaded, records are append-only."""

from decimal import Decimal

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from certreg.extensions import db
from certreg.logbook.models import Entry
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




def test_an_entry_of_another_country_s_logbook_is_refused_by_the_database(people):
    """0016ck: one key ``(logbook_id, country_code) -> logbooks (id, country_code)``: a row naming another country's
    log than its logbook's is refused by the database itself, whatever wrote it; the same row with its own country
    is not."""
    from tests.logbook.conftest import give_stock

    entry = give_stock(people.dealer, people.dealer_actor)
    table = Entry.__table__
    row = dict(db.session.execute(sa.select(table).where(table.c.id == entry.id)).mappings().one())
    other = "KG" if row["country_code"] == "KZ" else "KZ"
    top = db.session.scalar(sa.select(sa.func.max(table.c.seq)).where(table.c.country_code == other)) or 0
    savepoint = db.session.begin_nested()  # the same row with its own country: only the key is under test
    db.session.execute(table.insert().values({**row, "id": row["id"] + 1000, "seq": row["seq"] + 1000}))
    savepoint.rollback()
    try:
        with db.session.begin_nested():
            db.session.execute(table.insert().values({**row, "id": row["id"] + 1001, "country_code": other,
                                                      "seq": top + 1000}))
    except sa.exc.IntegrityError as exc:
        assert "logbook" in str(exc.orig).lower() or "foreign key" in str(exc.orig).lower()
    else:
        raise AssertionError(f"an entry of a {row['country_code']} logbook was stored in the {other} log")
