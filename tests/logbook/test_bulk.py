"""The CSV import's bulk path writes exactly what appending the same entries one by one writes.

The import seals its lines with :class:`canonical.Template`, :class:`canonical.MacKey` and
:class:`bulk.BulkAppender` (rows by ``COPY`` on PostgreSQL) instead of the per-entry
``canonical_bytes`` / ``entry_mac`` / ``ledger.append``. These tests hold the fast path to
the normative one: the same bytes, hashes, MACs, rows, balances and transfers.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from certreg.actors import Actor
from certreg.extensions import db
from certreg.logbook import bulk, canonical, equipment, holders, imports, ledger, recording, rules
from certreg.logbook.models import Balance, Channel, Condition, Direction, Entry, EntryKind, MerkleLog, Transfer
from certreg.logbook.verify import verify_all
from certreg.vocabulary import HolderKind
from tests import factories
from tests.logbook.conftest import TODAY, certify

TRICKY = ["plain", 'quote " inside', "back\\slash", "tab\there", "new\nline", "cr\rhere", "100 %", "%s %d %(x)s",
          "ТОО «Холод»", "emoji \U0001f9ca", "line\u2028separator", "nul-less \x01\x1f control", "\\N", "\\x41",
          "", " padded ", "{\"json\": [1]}"]


def _random_value(member: str, rng: random.Random):
    """A value for a canonical member: usually its common type, sometimes an unusual but valid one."""
    if rng.random() < 0.3:
        return None
    if member in ("seq", "id", "logbook", "equipment", "intervention", "counterparty_logbook", "reverses",
                  "counterpart_of", "import", "recorded_by_user"):
        return rng.choice([0, 1, 7, 2**40, rng.randrange(10**12)])
    if member in ("quantity", "counted", "book"):
        return rng.choice([Decimal("12.5"), Decimal("12.250"), Decimal("0.001"), Decimal("1E+2"), Decimal("-0"),
                           Decimal("99999999999.999"), Decimal("3.14159"), 5, Decimal(rng.randrange(10**6)) / 1000])
    if member == "date":
        return rng.choice([date(2026, 3, 1), date(1999, 12, 31), datetime(2026, 3, 1, 12, 30, tzinfo=UTC)])
    if member == "recorded_at":
        return datetime(2026, 3, 1, 12, 0, 0, rng.randrange(10**6), tzinfo=UTC)
    if member == "kind":
        return rng.choice([*EntryKind, "import"])
    if member in ("condition", "from_condition"):
        return rng.choice([*Condition, "recovered"])
    if member == "direction":
        return rng.choice([*Direction])
    if member == "channel":
        return rng.choice([*Channel, "csv"])
    return rng.choice(TRICKY)


@pytest.mark.parametrize("seed", range(4))
def test_the_template_writes_the_canonical_form_byte_for_byte(seed):
    rng = random.Random(seed)
    member_of = {column: member for member, column in canonical.FIELDS.items()}
    columns = list(canonical.FIELDS.values())
    for _ in range(5):  # different splits of fixed and variable columns
        fixed_columns = set(rng.sample(columns, rng.randrange(len(columns))))
        fixed = {c: _random_value(member_of[c], rng) for c in fixed_columns}
        variable = [c for c in columns if c not in fixed_columns]
        rng.shuffle(variable)
        template = canonical.Template(fixed, variable)
        for _ in range(300):
            values = {**fixed, **{c: _random_value(member_of[c], rng) for c in variable}}
            cylinders = rng.sample(TRICKY, rng.randrange(4))
            given = [values[c] for c in variable]
            document, parts = template.render_parts(given, cylinders)
            assert document == canonical.canonical_bytes(values, cylinders)
            assert template.render(given, cylinders) == document
            assert parts == tuple(canonical._json(member_of[c], values[c]) for c in variable)


def test_the_template_needs_every_column_once():
    columns = list(canonical.FIELDS.values())
    with pytest.raises(ValueError):
        canonical.Template({}, columns[1:])
    with pytest.raises(ValueError):
        canonical.Template({columns[0]: 1}, columns)


def test_the_prepared_mac_key_gives_the_entry_mac():
    key = b"some key"
    prepared = canonical.MacKey(key, "KZ")
    for seq in (0, 1, 255, 2**40):
        leaf = canonical.leaf_hash(str(seq).encode())
        assert prepared.entry_mac(seq, leaf) == canonical.entry_mac(key, "KZ", seq, leaf)
    assert canonical.MacKey(key, "KG").entry_mac(1, leaf) != prepared.entry_mac(1, leaf)


def test_draft_of_and_replaced_are_the_dataclass_constructor_and_replace():
    substance = rules.SubstanceInfo("HCFC-22", frozenset({"C"}))
    fields = dict(kind=EntryKind.SALE, operation_date=TODAY, substance=substance, quantity=Decimal("1.000"),
                  buyer_certificate="KZ-T-1", cylinders=("A",))
    draft = rules.Draft.of(**fields)
    assert draft == rules.Draft(**fields) and repr(draft) == repr(rules.Draft(**fields))
    assert hash(draft.substance) == hash(substance) and draft.extra == {} and draft.extra is not rules.Draft.of(
        **fields).extra
    changed = draft.replaced(condition=Condition.RECOVERED, quantity=Decimal("2.000"))
    assert changed == dataclasses.replace(draft, condition=Condition.RECOVERED, quantity=Decimal("2.000"))
    assert draft.condition is Condition.VIRGIN  # unchanged
    with pytest.raises(dataclasses.FrozenInstanceError):
        draft.quantity = Decimal("5")
    with pytest.raises(TypeError):
        rules.Draft.of(**fields, colour="red")
    with pytest.raises(TypeError):
        rules.Draft.of(kind=EntryKind.SALE)
    with pytest.raises(TypeError):
        draft.replaced(colour="red")


# --- the import against appends one by one ------------------------------------------------------

HEADER = ("date,kind,substance,quantity_kg,counted_kg,condition,from_condition,cylinders,equipment,counterparty,"
          "counterparty_country,counterparty_registration,buyer_certificate,documents,import_licence,"
          "customs_declaration,origin_country,exporter,export_licence,destination_country,reason,note")


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@pytest.fixture
def world(people, keys_dir):
    """Two KZ dealers starting empty; a buyer with a certificate; an importer in UZ; equipment of each dealer."""
    other = factories.make_company(country_code="KZ", activities=["dealer", "importer", "exporter", "service"])
    second = holders.holder(HolderKind.COMPANY, other.id)
    importer = factories.make_company(country_code="UZ", activities=["importer"])
    certificate = certify(people.kz_tech_record, ("A1",))
    units = {}
    for holder in (people.dealer, second):
        units[holder] = equipment.register(Actor.system(), holder, equipment.EquipmentData(
            owner_kind="company", owner_name="Shop 1", site_address="Almaty", kind="commercial_refrigeration",
            substance="R-404A", nominal_charge=Decimal("10"))).code
    db.session.commit()
    return people, second, importer, certificate, units


def _lines(importer, certificate, unit: str) -> list[dict[str, str]]:
    day = TODAY - timedelta(days=30)
    rows = []
    for i in range(60):
        note = TRICKY[i % len(TRICKY)]
        d = (day + timedelta(days=i // 3)).isoformat() if i % 2 else (day + timedelta(days=i // 3)).strftime("%d.%m.%Y")
        rows += [
            dict(date=d, kind="import", substance="R-404A", quantity_kg=f"{100 + i},5", condition="virgin",
                 cylinders=f"C-{i}-1; C-{i}-2|C-{i}-3" if i % 4 == 0 else "", import_licence=f"LIC-{i}",
                 customs_declaration=f"DECL\t{i}", origin_country="cn", exporter=f"Exporter {note}",
                 documents=note, note=note),
            dict(date=d, kind="sale", substance="R-404A", quantity_kg="1.25", buyer_certificate=certificate.number,
                 documents=f"INV-{i}"),
            dict(date=d, kind="export", substance="R-404A", quantity_kg="2", export_licence=f"EXP-{i}",
                 destination_country="UZ", counterparty_registration=importer.registration_number if i % 2 else ""),
            dict(date=d, kind="charge", substance="R-404A", quantity_kg="0.5", equipment=unit, note=note),
            dict(date=d, kind="recovery", substance="R-404A", quantity_kg="3.125", equipment=unit),
            dict(date=d, kind="recycling", substance="R-404A", quantity_kg="1"),
            dict(date=d, kind="reclamation", substance="R-404A", quantity_kg="0.5", from_condition="recycled"),
            dict(date=d, kind="purchase", substance="HCFC-22", quantity_kg="10", counterparty=f"Seller {note}",
                 counterparty_country="kz", cylinders="P-1"),
            dict(date=d, kind="sent_for_destruction", substance="HCFC-22", quantity_kg="0.001"),
            dict(date=d, kind="stock_count", substance="HCFC-22", counted_kg=f"{5 + i % 3}.5", reason=f"Count {note}"),
        ]
    return rows


def _csv(rows: list[dict[str, str]]) -> bytes:
    columns = HEADER.split(",")
    return ("\ufeff" + HEADER + "\r\n" + "".join(
        ",".join(_csv_field(row.get(c, "")) for c in columns) + "\r\n" for row in rows)).encode()


COMPARED = [c for c in ledger.ENTRY_COLUMNS if c not in (
    "id", "seq", "logbook_id", "import_id", "recorded_at", "leaf_hash", "mac", "counterparty_logbook_id")]


def test_an_import_writes_what_appending_its_lines_one_by_one_writes(app, world):
    people, second, importer, certificate, units = world
    actor = Actor.system("tests")
    rows = _lines(importer, certificate, units[people.dealer])
    result = imports.import_csv(actor, people.dealer, _csv(rows), "tricky.csv")
    assert result.ok, [e.describe() for e in result.errors[:5]]
    db.session.commit()
    assert result.entries == len(rows)

    # The same lines, one by one through the service, into the other (empty) dealer's logbook.
    header = HEADER.split(",")
    parse = imports._LineParser(header)
    for row in rows:
        data = parse([row.get(c, "") for c in header])
        one = recording.record_entry(actor, second, data, channel=Channel.CSV)
        assert one.id
    db.session.commit()

    imported = _entries(people.dealer)
    appended = _entries(second)
    assert len(imported) == len(appended) == len(rows)
    key = ledger.mac_key()
    for got, one in zip(imported, appended):
        assert {c: getattr(got, c) for c in COMPARED} == {c: getattr(one, c) for c in COMPARED}
        assert got.cylinders == one.cylinders
        assert (got.counterparty_logbook_id is None) == (one.counterparty_logbook_id is None)
        # What appending this very entry one by one would have hashed and MACed:
        values = {c: getattr(one, c) for c in ledger.ENTRY_COLUMNS}
        values.update({c: getattr(got, c) for c in ("id", "seq", "logbook_id", "import_id", "recorded_at",
                                                     "counterparty_logbook_id")})
        ledger.seal(values, one.cylinders, key)
        assert (values["leaf_hash"], values["mac"]) == (bytes(got.leaf_hash), bytes(got.mac))
    assert _balances(people.dealer) == _balances(second)
    assert _transfers(people.dealer) == _transfers(second) != []
    reports = verify_all()
    assert all(r.ok for r in reports), [p.describe() for r in reports for p in r.problems[:3]]
    head = db.session.get(MerkleLog, "KZ")
    assert head.size == 2 * len(rows)


def _entries(holder) -> list[Entry]:
    logbook = holders.logbook_for(holder)
    return list(db.session.scalars(sa.select(Entry).where(Entry.logbook_id == logbook.id).order_by(Entry.seq)))


def _balances(holder) -> list[tuple]:
    logbook = holders.logbook_for(holder)
    return [(b.substance_code, b.condition, b.quantity) for b in db.session.scalars(
        sa.select(Balance).where(Balance.logbook_id == logbook.id).order_by(Balance.substance_code, Balance.condition))]


def _transfers(holder) -> list[tuple]:
    logbook = holders.logbook_for(holder)
    query = sa.select(Transfer).where(Transfer.from_logbook_id == logbook.id).order_by(Transfer.origin_entry_id)
    return [(t.kind, t.to_logbook_id, t.status, t.origin_entry.kind, t.origin_entry.quantity)
            for t in db.session.scalars(query)]


@pytest.mark.parametrize("chunk,first", [(7, 1000), (16, 2)])
def test_an_import_in_several_chunks_draws_fresh_ids_and_keeps_the_log_in_order(app, people, monkeypatch, chunk,
                                                                                first):
    monkeypatch.setattr(bulk, "CHUNK", chunk)
    monkeypatch.setattr(bulk, "FIRST_CHUNK", first)
    from tests.logbook.builders import HEADER as SIMPLE
    from tests.logbook.builders import csv_lines

    first = imports.import_csv(Actor.system("tests"), people.dealer, (SIMPLE + csv_lines(50)).encode(), "a.csv")
    second = imports.import_csv(Actor.system("tests"), people.dealer, (SIMPLE + csv_lines(23, start=50)).encode(),
                                "b.csv")
    assert first.ok and second.ok
    db.session.commit()
    entries = _entries(people.dealer)
    assert [e.seq for e in entries] == list(range(73))
    assert [e.id for e in entries] == sorted(e.id for e in entries) and len({e.id for e in entries}) == 73
    assert all(r.ok for r in verify_all())


def test_unregistered_cylinders_are_written_with_the_chunks_once_each(app, people, monkeypatch):
    """The serials no cylinder of the country has are written beside the entries' chunks (``links.rows_ahead``),
    not after the last entry: nothing is left for the cylinders' ``record_many`` to write. A serial met again in a
    later chunk is flagged once, held by the holder of the first line naming it."""
    from certreg.cylinders import logbook_link
    from certreg.cylinders.models import Cylinder
    from tests.logbook.builders import HEADER as SIMPLE
    from tests.logbook.builders import csv_lines

    monkeypatch.setattr(bulk, "CHUNK", 5)
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 2)
    after_the_entries: list[dict] = []
    monkeypatch.setattr(logbook_link, "write_rows", lambda connection, table, rows: after_the_entries.extend(rows))
    again = f"{TODAY},import,HCFC-22,1.000,virgin,CYL-0-A;CYL-LAST,LIC-0,DECL-AGAIN,CN,Example Chemical Co.,,,INV-A\n"
    result = imports.import_csv(Actor.system("tests"), people.dealer, (SIMPLE + csv_lines(30) + again).encode(),
                                "a.csv")
    assert result.ok and result.entries == 31
    assert after_the_entries == []
    flagged = db.session.scalars(sa.select(Cylinder).where(Cylinder.needs_registration)).all()
    assert sorted(c.stamp_number for c in flagged) == sorted(
        [f"CYL-{i}-{side}" for i in (0, 7, 14, 21, 28) for side in "AB"] + ["CYL-LAST"])
    assert {c.custodian_company_id for c in flagged} == {people.dealer_company.id}


def test_a_refused_file_leaves_no_unregistered_cylinder_though_its_first_chunks_were_written(app, people,
                                                                                           monkeypatch):
    from certreg.cylinders.models import Cylinder
    from tests.logbook.builders import HEADER as SIMPLE
    from tests.logbook.builders import csv_lines

    monkeypatch.setattr(bulk, "CHUNK", 5)
    monkeypatch.setattr(bulk, "FIRST_CHUNK", 2)
    bad = f"{TODAY},import,HCFC-22,-1,virgin,CYL-BAD,LIC-0,DECL-BAD,CN,Example Chemical Co.,,,INV-B\n"
    result = imports.import_csv(Actor.system("tests"), people.dealer, (SIMPLE + csv_lines(30) + bad).encode(),
                                "a.csv")
    assert not result.ok and [e.line for e in result.errors] == [32]
    db.session.rollback()  # as every caller does on a refused file
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cylinder)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == 0
