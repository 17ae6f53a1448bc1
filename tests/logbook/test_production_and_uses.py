"""Production and the uses the Article 7 data forms count apart (issue 13): the rules through the service,
the CSV import's bulk path for entries stating a use, and refused attempts kept for the ministry.

The refusing and accepting case of each rule on every surface (entry page, API, CSV import by command and by
API) is in ``test_sale_rules_surfaces.py`` (cases "production ...", "feedstock use ...", "QPS use ...",
"laboratory use ...", "critical use ...").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.errors import ValidationFailed, roll_back
from certreg.extensions import db
from certreg.logbook import canonical, drafts, holders, imports, ledger, recording, use_rules, verify
from certreg.logbook.models import Channel, Entry, EntryKind, Refusal
from certreg.vocabulary import HolderKind
from tests import factories

SYSTEM = Actor.system("tests")
DAY = date(2026, 3, 2)


def company(*activities: str) -> holders.Holder:
    return holders.holder(HolderKind.COMPANY, factories.make_company(country_code="KG", activities=list(activities)).id)


def entry(who: holders.Holder, kind: str, substance: str = "HCFC-22", kg: str = "10", **extra) -> Entry:
    data = dict(kind=kind, operation_date=DAY, substance=substance, quantity=Decimal(kg), condition="virgin", **extra)
    return recording.record_entry(SYSTEM, who, drafts.EntryData(**data))


def refused(call, code: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        call()
    assert info.value.code == code, (info.value.code, info.value.message)
    return info.value


@pytest.mark.parametrize(("text", "valid"), [
    ("Decision XXXVI/5", True), ("Decision IV/25", True), ("Decision XVII/9A", True), ("Decision X/14", True),
    ("Decision XXXVI/x", False), ("decision XXXVI/5", False), ("Decision 36/5", False), ("XXXVI/5", False),
    ("Lab licence 7", False), ("Decision XXXVI/5 and more", False), ("", False), (None, False),
])
def test_the_form_of_a_decision_reference(text, valid):
    assert use_rules.is_decision_reference(text) is valid


def test_production_adds_to_the_producers_stock_and_uses_take_from_it():
    producer = company("producer")
    entry(producer, "production", kg="100")
    entry(producer, "feedstock_use", kg="60")
    entry(producer, "exempted_use", kg="5", exempted_use="essential_use", exemption_reference="Decision XXXV/6")
    assert ledger.Stock(holders.logbook_for(producer).id).get("HCFC-22", "virgin") == Decimal("35")
    error = refused(lambda: entry(producer, "feedstock_use", kg="35.001"), "insufficient_stock")
    assert "quantity" in error.fields


def test_the_refusals_are_kept_as_refused_attempts():
    dealer = company("dealer", "importer")
    db.session.commit()
    error = refused(lambda: entry(dealer, "production"), "handler_activity_missing")
    roll_back(error)
    error = refused(lambda: entry(dealer, "qps_use", "HCFC-22"), "qps_only_methyl_bromide")
    roll_back(error)
    codes = db.session.scalars(sa.select(Refusal.code).where(Refusal.logbook_id.is_not(None))
                               .order_by(Refusal.id)).all()
    assert codes[-2:] == ["handler_activity_missing", "qps_only_methyl_bromide"]


def test_a_csv_import_of_production_and_uses_hashes_as_one_entry_at_a_time():
    producer = company("producer", "importer")
    csv_text = ("date,kind,substance,quantity_kg,exempted_use,exemption_reference\n"
                f"{DAY},production,HCFC-22,100,,\n"
                f"{DAY},exempted_use,HCFC-22,2.5,laboratory,Decision XXVI/5\n"
                f"{DAY},feedstock_use,HCFC-22,40,,\n")
    result = imports.import_csv(SYSTEM, producer, csv_text.encode(), "paper.csv")
    assert not result.errors, result.errors
    db.session.commit()
    assert verify.verify_log("KG").ok
    rows = db.session.scalars(sa.select(Entry).where(Entry.channel == Channel.CSV).order_by(Entry.seq)).all()
    assert [e.kind for e in rows] == [EntryKind.PRODUCTION, EntryKind.EXEMPTED_USE, EntryKind.FEEDSTOCK_USE]
    use = rows[1]
    document = canonical.canonical_bytes({c.name: getattr(use, c.name) for c in Entry.__table__.columns}, [])
    assert canonical.leaf_hash(document) == use.leaf_hash
    assert b'"exempted_use":"laboratory"' in document and b'"exemption_reference":"Decision XXVI/5"' in document


def test_a_csv_line_with_a_malformed_decision_is_refused_with_its_code():
    producer = company("producer")
    csv_text = ("date,kind,substance,quantity_kg,exempted_use,exemption_reference\n"
                f"{DAY},production,HCFC-22,100,,\n"
                f"{DAY},exempted_use,HCFC-22,2.5,laboratory,Dec. 26/5\n")
    result = imports.import_csv(SYSTEM, producer, csv_text.encode(), "paper.csv")
    assert [(e.line, e.code) for e in result.errors] == [(3, "decision_reference_required")]


def test_the_logbook_export_keeps_the_exempted_use_and_its_decision():
    from certreg.logbook import exports

    producer = company("producer")
    entry(producer, "production", kg="10")
    use = entry(producer, "exempted_use", kg="1", exempted_use="essential_use", exemption_reference="Decision XXXV/6")
    [row] = exports.rows(sa.select(Entry).where(Entry.id == use.id))
    values = dict(zip(exports.COLUMNS, row, strict=True))
    assert (values["kind"], values["exempted_use"], values["exemption_reference"]) == \
        ("exempted_use", "essential_use", "Decision XXXV/6")


def test_the_canonical_template_renders_optional_members_byte_for_byte():
    import json

    from certreg.logbook.models import ExemptedUse

    columns = list(canonical.FIELDS.values())
    fixed = {"country_code": "KG", "channel": Channel.CSV, "import_id": 7}
    variable = [c for c in columns if c not in fixed] + list(canonical.OPTIONAL_FIELDS.values())
    template = canonical.Template(fixed, variable)
    base = {c: None for c in variable} | {"id": 12, "seq": 3, "kind": EntryKind.EXEMPTED_USE, "quantity": Decimal("2"),
                                          "substance_code": "HCFC-22", "operation_date": DAY, "logbook_id": 4}
    for use, reference in ((None, None), (ExemptedUse.LABORATORY, "Decision XXVI/5"),
                           (ExemptedUse.ESSENTIAL_USE, "«Décision» \"XXXV/6\"")):
        values = base | {"exempted_use": use, "exemption_reference": reference}
        given = [values[c] for c in variable]
        document, parts = template.render_parts(given, ["C-1"])
        assert document == canonical.canonical_bytes({**fixed, **values}, ["C-1"])
        assert parts[-2:] == (json.dumps(use.value if use else None), json.dumps(reference, ensure_ascii=False))
