"""The CSV import's bulk path writes exactly what appending the same entries one by one writes.

The import seals its lines with :class:`canonical.Template`, :class:`canonical.MacKey` and
:class:`ledger.BulkAppender` (rows by ``COPY`` on PostgreSQL) instead of the per-entry
``canonical_bytes`` / ``entry_mac`` / ``ledger.append``. These tests hold the fast path to
the normative one: the same bytes, hashes, MACs, rows, balances and transfers.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from certreg.logbook import canonical, rules
from certreg.logbook.models import (
    Channel,
    Condition,
    Direction,
    EntryKind,
)
from tests.logbook.conftest import TODAY

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
